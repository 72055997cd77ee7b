using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Tandem.Access;
using Tandem.Configuration;
using Tandem.Runtime;

namespace Tandem.Benchmarks;

/// <summary>
/// The per-request key check with virtual keys: a configuration key, a virtual key among 10,000 active ones, and an
/// unknown key (both dictionaries probed). One SHA-256 and at most two dictionary probes; no database.
/// </summary>
[MemoryDiagnoser]
public class KeyLookupBenchmarks
{
    private const string ConfigKey = "sk-bench-config-key-aaaaaaaaaaaaaaaa";
    private KeyRing _ring = null!;
    private string _virtualKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        var table = new VirtualKeyTable();
        var keys = new List<VirtualKey>();
        for (var i = 0; i < 10_000; i++)
        {
            var secret = "tdm-bench-" + i.ToString("00000", System.Globalization.CultureInfo.InvariantCulture) + "-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            keys.Add(new VirtualKey
            {
                Id = "vk_" + i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
                Name = "app-" + i,
                Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))),
                Prefix = secret[..8],
                Team = "team-" + (i % 50),
                CreatedAt = DateTimeOffset.UnixEpoch,
            });
            if (i == 4321)
            {
                _virtualKey = secret;
            }
        }

        table.Load(keys);
        var snapshot = GatewaySnapshot.Build(ConfigLoader.Parse($$"""
            auth: { keys: [ { name: config, key: {{ConfigKey}} } ] }
            providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" } ]
            deployments: [ { name: d, provider: p, model: m } ]
            routes: [ { name: chat, deployment: d } ]
            """), null, new RuntimeServices { VirtualKeys = table });
        _ring = snapshot.Keys;
    }

    [Benchmark(Baseline = true)]
    public GatewayKey? ConfigurationKey() => _ring.Authenticate(ConfigKey);

    [Benchmark]
    public GatewayKey? VirtualKeyAmong10000() => _ring.Authenticate(_virtualKey);

    [Benchmark]
    public GatewayKey? UnknownKey() => _ring.Authenticate("tdm-unknown-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}
