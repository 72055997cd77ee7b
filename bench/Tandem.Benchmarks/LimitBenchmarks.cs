using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Configuration;
using Tandem.Limits;
using Tandem.Storage;
using Tandem.Storage.Limits;

namespace Tandem.Benchmarks;

/// <summary>
/// Budgets and rate limits on the request path: the lookup every request makes (a caller without limits must stay
/// free: no store call, no allocation), and an admission with its counter store — in memory (the enforcer's own
/// cost), SQLite, and PostgreSQL when <c>TANDEM_BENCH_POSTGRES</c> names a server (one round trip per admission).
/// </summary>
[MemoryDiagnoser]
public class LimitBenchmarks
{
    private ConfigLimitSource _source = null!;
    private ConfigLimitSource _empty = null!;
    private LimitEnforcer _enforcer = null!;
    private IReadOnlyList<LimitSpec> _specs = null!;
    private StorageDatabase? _database;
    private string? _dir;

    /// <summary>Where the counters are: <c>memory</c>, <c>sqlite</c>, and <c>postgres</c> when TANDEM_BENCH_POSTGRES is set.</summary>
    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "memory";

    public static IEnumerable<string> Stores =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TANDEM_BENCH_POSTGRES")) ? ["memory", "sqlite"] : ["memory", "sqlite", "postgres"];

    [GlobalSetup]
    public void Setup()
    {
        // 50 limited keys, one team, one route; the unlimited caller is not among them.
        var limits = new LimitsConfig
        {
            Keys = Enumerable.Range(0, 50).ToDictionary(i => "key" + i, _ => new LimitRule { RequestsPerMinute = long.MaxValue / 4 }),
            Teams = new Dictionary<string, LimitRule> { ["research"] = new() { DailyTokens = long.MaxValue / 4 } },
        };
        var config = new TandemConfig { Limits = limits };
        _source = new ConfigLimitSource(() => config);
        var none = new TandemConfig();
        _empty = new ConfigLimitSource(() => none);
        ILimitCounterStore store;
        switch (Store)
        {
            case "sqlite":
                _dir = Directory.CreateTempSubdirectory("tandem-bench-limits-").FullName;
                _database = StorageFactory.OpenSqlite(Path.Combine(_dir, "tandem.db"), new StorageConfig());
                _database.MigrateAsync().GetAwaiter().GetResult();
                store = new SqlLimitCounterStore(_database);
                break;
            case "postgres":
                _database = StorageFactory.OpenPostgres(Environment.GetEnvironmentVariable("TANDEM_BENCH_POSTGRES")!,
                    new StorageConfig { Schema = "bench_" + Guid.NewGuid().ToString("N")[..8] });
                _database.MigrateAsync().GetAwaiter().GetResult();
                store = new SqlLimitCounterStore(_database);
                break;
            default:
                store = new MemoryLimitCounterStore();
                break;
        }

        var alerts = new LimitAlerts(() => limits, NullLogger.Instance);
        _enforcer = new LimitEnforcer(_source, store, () => limits, TimeProvider.System, NullLogger.Instance, alerts);
        _specs = _source.Find("key7", "research", "chat")!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_database is not null)
        {
            _database.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        if (_dir is not null)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>A caller without limits in a configuration that has some: one dictionary lookup, nothing else.</summary>
    [Benchmark]
    public bool FindNoLimit() => _source.Find("someone-else", null, "chat") is null;

    /// <summary>A configuration without any limit.</summary>
    [Benchmark]
    public bool FindNoLimitsConfigured() => _empty.Find("key7", "research", "chat") is null;

    /// <summary>Admission of a limited caller (key per-minute limit + team daily token budget): two counters, one take.</summary>
    [Benchmark]
    public async Task<bool> AdmitKeyAndTeam() => (await _enforcer.AdmitAsync(_specs, new LimitEstimate(500, 0))).Admitted;
}
