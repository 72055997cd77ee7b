using System.Text;
using Tandem.Configuration;
using Tandem.Runtime;

namespace Tandem.Tests.Common;

/// <summary>Gateway configuration templates whose provider URLs are filled in when the upstreams have started.</summary>
public static class GatewayConfigs
{
    /// <summary>Replaces <c>{sim0}</c>, <c>{sim1}</c>… with the given upstream base URLs (their <c>/v1</c> URL, no trailing slash).</summary>
    public static string Expand(string yaml, IEnumerable<Uri> upstreams)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(upstreams);
        var i = 0;
        foreach (var url in upstreams)
        {
            yaml = yaml.Replace("{sim" + i + "}", url.ToString().TrimEnd('/'), StringComparison.Ordinal);
            i++;
        }

        return yaml;
    }

    /// <summary>Parses and compiles <paramref name="yaml"/> after <see cref="Expand"/>, as the gateway would at start.</summary>
    public static GatewaySnapshot Snapshot(string yaml, IEnumerable<Uri> upstreams) =>
        GatewaySnapshot.Build(ConfigLoader.Parse(Expand(yaml, upstreams)), null);

    /// <summary>
    /// Auth disabled; one provider per upstream (<c>p0</c> at <c>{sim0}</c>, <c>p1</c>…) and one deployment on each,
    /// with the given names, upstream model ids and optional pricing (YAML flow mapping).
    /// </summary>
    public static string PerUpstream(params (string Deployment, string Model, string? Price)[] deployments)
    {
        ArgumentNullException.ThrowIfNull(deployments);
        var sb = new StringBuilder("auth:\n  disabled: true\nproviders:\n");
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
