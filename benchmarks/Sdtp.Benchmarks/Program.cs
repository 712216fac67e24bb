using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Sdtp.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Sdtp.Benchmarks.PruningBenchmarks).Assembly).Run(args);
