using System.Text;
using BenchmarkDotNet.Attributes;
using Tandem.Configuration;
using Tandem.Runtime;

namespace Tandem.Benchmarks;

/// <summary>Routing decision: <see cref="KeyRing.Authenticate"/> (SHA-256 of the presented key) and <see cref="GatewaySnapshot.TryResolve"/>.</summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private const string Key = "sk-bench-key-07-aaaaaaaaaaaaaaaaaaaaaaaa";
    private GatewaySnapshot _snapshot = null!;
    private GatewayKey _key = null!;

    [GlobalSetup]
    public void Setup()
    {
        // 20 keys, 10 providers/deployments/routes; the key used may only use some routes.
        var yaml = new StringBuilder("auth:\n  keys:\n");
        for (var i = 0; i < 20; i++)
        {
            yaml.Append("    - name: key").Append(i).Append("\n      key: sk-bench-key-").Append(i.ToString("00", System.Globalization.CultureInfo.InvariantCulture)).Append("-aaaaaaaaaaaaaaaaaaaaaaaa\n      routes: [route-1, route-3, route-7]\n");
        }

        yaml.Append("providers:\n");
        for (var i = 0; i < 10; i++)
        {
            yaml.Append("  - name: p").Append(i).Append("\n    type: openai\n    base_url: http://127.0.0.1:").Append(9100 + i).Append("/v1\n");
        }

        yaml.Append("deployments:\n");
        for (var i = 0; i < 10; i++)
        {
            yaml.Append("  - name: d").Append(i).Append("\n    provider: p").Append(i).Append("\n    model: model-").Append(i).Append('\n');
        }

        yaml.Append("routes:\n");
        for (var i = 0; i < 10; i++)
        {
            yaml.Append("  - name: route-").Append(i).Append("\n    deployment: d").Append(i).Append('\n');
        }

        _snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(yaml.ToString()), null);
        _key = _snapshot.Keys.Authenticate(Key) ?? throw new InvalidOperationException("key not found");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var p in _snapshot.Providers.Values)
        {
            p.Dispose();
        }
    }

    [Benchmark]
    public GatewayKey? Authenticate() => _snapshot.Keys.Authenticate(Key);

    [Benchmark]
    public bool Resolve() => _snapshot.TryResolve("route-7", _key, out _, out _);

    [Benchmark]
    public bool AuthenticateAndResolve()
    {
        var key = _snapshot.Keys.Authenticate(Key);
        return key is not null && _snapshot.TryResolve("route-7", key, out _, out _);
    }
}
