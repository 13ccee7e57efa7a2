namespace SimpleXLedger.Benchmarks;

/// <summary>A benchmark could not run (a child failed, a baseline tool is missing): reported as a plain error, exit code Failed.</summary>
internal sealed class BenchException(string message) : Exception(message);
