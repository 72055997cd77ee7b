using System.Diagnostics;
using System.Text.RegularExpressions;
using Tandem.Configuration;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Tandem.FunctionalTests.Deployment;

/// <summary>
/// The deployment files under deploy/: the kustomize base and overlay (rendered with <c>kubectl kustomize</c> when
/// kubectl is installed, as test.sh installs it), the Helm chart (no helm package in Debian 12: its values and the
/// paths its templates read are checked instead of a <c>helm template</c> run), and the Containerfile.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static string Root => Path.GetFullPath(Path.Combine(TestData.Root, "..", ".."));

    private static string Deploy(params string[] parts) => Path.Combine([Root, "deploy", .. parts]);

    private static List<YamlMappingNode> Documents(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static YamlNode? At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    private static string? Scalar(YamlNode node, params string[] path) => (At(node, path) as YamlScalarNode)?.Value;

    [Fact]
    public void KustomizeBase_EveryManifest_HasItsFieldsProbesDrainAndANonRootUser()
    {
        var manifests = Directory.GetFiles(Deploy("k8s", "base"), "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").SelectMany(Documents).ToList();
        Assert.All(manifests, m => Assert.False(string.IsNullOrEmpty(Scalar(m, "apiVersion")) || string.IsNullOrEmpty(Scalar(m, "kind")) || string.IsNullOrEmpty(Scalar(m, "metadata", "name"))));
        Assert.Equal(["ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"], manifests.Select(m => Scalar(m, "kind")!).Order(StringComparer.Ordinal));

        // Every file is listed in the kustomization.
        var listed = ((YamlSequenceNode)At(Documents(Deploy("k8s", "base", "kustomization.yaml"))[0], "resources")!).Children.Select(c => ((YamlScalarNode)c).Value).Order(StringComparer.Ordinal);
        Assert.Equal(Directory.GetFiles(Deploy("k8s", "base"), "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order(StringComparer.Ordinal), listed);

        var deployment = manifests.Single(m => Scalar(m, "kind") == "Deployment");
        var pod = At(deployment, "spec", "template", "spec")!;
        var container = (YamlMappingNode)((YamlSequenceNode)At(pod, "containers")!).Children[0];
        Assert.Equal(("/readyz", "/healthz", "/healthz"), (Scalar(container, "readinessProbe", "httpGet", "path"), Scalar(container, "livenessProbe", "httpGet", "path"), Scalar(container, "startupProbe", "httpGet", "path")));
        Assert.Equal(("true", "1654"), (Scalar(pod, "securityContext", "runAsNonRoot"), Scalar(pod, "securityContext", "runAsUser")));
        Assert.Equal(("false", "true"), (Scalar(container, "securityContext", "allowPrivilegeEscalation"), Scalar(container, "securityContext", "readOnlyRootFilesystem")));

        // The drain fits in the grace period: preStop + server.shutdown_timeout + the CLI's 10 s margin.
        var config = ConfigOf(Scalar(manifests.Single(m => Scalar(m, "kind") == "ConfigMap"), "data", "tandem.yaml")!);
        Assert.True(ConfigLoader.TryParseDuration(config.Server.ShutdownTimeout, out var shutdown));
        var preStop = int.Parse(Scalar(container, "lifecycle", "preStop", "sleep", "seconds")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(int.Parse(Scalar(pod, "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture) > preStop + shutdown.TotalSeconds + 10);
        Assert.Equal((StorageEngines.Postgres, "k1"), (config.Storage.Engine, config.Privacy.Encryption!.Active));
    }

    [Fact]
    public async Task KubectlKustomize_ProductionOverlay_RendersThreeReplicasAPdbOfTwoAndOneNamespace()
    {
        var kubectl = new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(kubectl is null, "kubectl is not installed (test.sh installs it from apt when it can)");
        var info = new ProcessStartInfo(kubectl!, ["kustomize", Deploy("k8s", "overlays", "production")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, await error);

        var stream = new YamlStream();
        stream.Load(new StringReader(await output));
        var docs = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        Assert.Equal(["Namespace", "ServiceAccount", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget"], docs.Select(d => Scalar(d, "kind")));
        Assert.All(docs.Skip(1), d => Assert.Equal("tandem", Scalar(d, "metadata", "namespace")));
        var deployment = docs.Single(d => Scalar(d, "kind") == "Deployment");
        Assert.Equal("3", Scalar(deployment, "spec", "replicas"));
        var container = (YamlMappingNode)((YamlSequenceNode)At(deployment, "spec", "template", "spec", "containers")!).Children[0];
        Assert.Equal(("ghcr.io/tandem/tandem:0.2.0", "1", "1Gi"), (Scalar(container, "image"), Scalar(container, "resources", "requests", "cpu"), Scalar(container, "resources", "limits", "memory")));
        Assert.Equal("/readyz", Scalar(container, "readinessProbe", "httpGet", "path"));
        var pdb = docs.Single(d => Scalar(d, "kind") == "PodDisruptionBudget");
        Assert.Equal(("2", "tandem"), (Scalar(pdb, "spec", "minAvailable"), Scalar(pdb, "spec", "selector", "matchLabels", "app.kubernetes.io/name")));
        Assert.Equal("tandem", Scalar(deployment, "spec", "selector", "matchLabels", "app.kubernetes.io/name"));
    }

    [Fact]
    public void HelmChart_ValuesHoldEveryPathTheTemplatesRead_AndAValidConfiguration()
    {
        var chart = Documents(Deploy("helm", "tandem", "Chart.yaml"))[0];
        Assert.Equal(("v2", "tandem", "application"), (Scalar(chart, "apiVersion"), Scalar(chart, "name"), Scalar(chart, "type")));
        var values = Documents(Deploy("helm", "tandem", "values.yaml"))[0];

        var templates = Directory.GetFiles(Deploy("helm", "tandem", "templates"));
        var paths = templates.SelectMany(t => ValuesPath().Matches(File.ReadAllText(t)).Select(m => m.Groups[1].Value)).Distinct().ToList();
        Assert.Contains("probes.readiness.path", paths);
        Assert.All(paths, p => Assert.True(At(values, p.Split('.')) is not null, $".Values.{p} is read by a template but not in values.yaml"));
        var text = string.Join('\n', templates.Select(File.ReadAllText));
        Assert.Contains("kind: PodDisruptionBudget", text, StringComparison.Ordinal);
        Assert.Contains("readinessProbe:", text, StringComparison.Ordinal);
        Assert.Contains("livenessProbe:", text, StringComparison.Ordinal);
        Assert.Contains("runAsNonRoot: true", text, StringComparison.Ordinal);

        // values.config is the gateway's configuration as the ConfigMap renders it.
        var stream = new YamlStream(new YamlDocument(At(values, "config")!));
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        var config = ConfigOf(writer.ToString().Replace("...", "", StringComparison.Ordinal));
        Assert.Equal((StorageEngines.Postgres, "30s"), (config.Storage.Engine, config.Server.ShutdownTimeout));
        Assert.True(int.Parse(Scalar(values, "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture) > int.Parse(Scalar(values, "preStopSleepSeconds")!, System.Globalization.CultureInfo.InvariantCulture) + 30 + 10);
    }

    [Fact]
    public void Containerfile_MultiStageReadyToRunNonRoot_CopiesOnlyFilesThatExist()
    {
        var lines = File.ReadAllLines(Deploy("Containerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stages.Count);
        Assert.Contains("PublishReadyToRun=true", string.Join('\n', lines), StringComparison.Ordinal);
        var lastStage = lines.Skip(lines.IndexOf(stages[^1])).ToList();
        var user = Assert.Single(lastStage, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain(user[5..].Split(':')[0], (string[])["root", "0"]);
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal)))
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            Assert.All(parts, p => Assert.True(File.Exists(Path.Combine(Root, p)) || Directory.Exists(Path.Combine(Root, p)), $"{copy}: {p} does not exist"));
        }
    }

    /// <summary>Parses a configuration; the only errors allowed are environment variables a cluster's Secret supplies.</summary>
    private static TandemConfig ConfigOf(string yaml)
    {
        try
        {
            return ConfigLoader.Parse(yaml, ConfigUse.Gateway);
        }
        catch (ConfigException e)
        {
            Assert.All(e.Errors, error => Assert.Matches("environment variable '[A-Z_]+' is not set", error));
            using var dir = new TempDir("tandem-deploy-");
            File.WriteAllText(dir.File("tandem.yaml"), yaml);
            return ConfigLoader.ReadUnchecked(dir.File("tandem.yaml"));
        }
    }

    [GeneratedRegex(@"\.Values\.([A-Za-z0-9_.]+)")]
    private static partial Regex ValuesPath();
}
