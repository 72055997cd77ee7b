using Tandem.Configuration;
using Tandem.Runtime;
using Tandem.Simulator;

namespace Tandem.Eval.Tests.Infrastructure;

/// <summary>A temporary directory, removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("tandem-eval-test-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class TestEnv
{
    public static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    /// <summary>Replaces {sim0}, {sim1}… with the simulators' /v1 URLs.</summary>
    public static string Expand(string yaml, params SimulatorServer[] sims)
    {
        for (var i = 0; i < sims.Length; i++)
        {
            yaml = yaml.Replace("{sim" + i + "}", sims[i].V1.ToString().TrimEnd('/'), StringComparison.Ordinal);
        }

        return yaml;
    }

    public static GatewaySnapshot Snapshot(string yaml, params SimulatorServer[] sims) =>
        GatewaySnapshot.Build(ConfigLoader.Parse(Expand(yaml, sims)), null);

    /// <summary>One provider per simulator (p0, p1…), one deployment per simulator (names given), no auth.</summary>
    public static string Config(params (string Deployment, string Model, string? Price)[] deployments)
    {
        var sb = new System.Text.StringBuilder("auth:\n  disabled: true\nproviders:\n");
        for (var i = 0; i < deployments.Length; i++)
        {
            sb.Append("  - name: p").Append(i).Append("\n    base_url: {sim").Append(i).Append("}\n    timeouts: { connect: 2s, first_byte: 10s, total: 20s }\n");
        }

        sb.Append("deployments:\n");
        for (var i = 0; i < deployments.Length; i++)
        {
            var (name, model, price) = deployments[i];
            sb.Append("  - name: ").Append(name).Append("\n    provider: p").Append(i).Append("\n    model: ").Append(model).Append('\n');
            if (price is not null)
            {
                sb.Append("    pricing: ").Append(price).Append('\n');
            }
        }

        return sb.ToString();
    }
}
