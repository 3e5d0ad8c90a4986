namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>Tests that redirect System.Console (in-process captures) must not run in parallel with each other.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;
