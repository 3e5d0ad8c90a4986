using BenchmarkDotNet.Running;

// Every benchmark class in this assembly; pick with --filter (see benchmarks/README.md).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
