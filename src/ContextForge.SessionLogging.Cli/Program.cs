// Placeholder entry point so the skeleton builds (the test project references this project). The CLI's real
// commands replace this file; when merging, take the other side.
return 0;
