using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Tandem.Benchmarks -- --filter '*' --job short
// See bench/README.md for the commands that produced bench/results/micro/.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
