namespace Tandem.Configuration;

/// <summary>Checks of data residency: <c>region</c> on routes and rules against the deployments' <c>region</c> tags.</summary>
public static partial class ConfigValidator
{
    private static void ValidateResidency(TandemConfig config, RouteConfig route, string path, List<string> errors)
    {
        var regions = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var d in config.Deployments)
        {
            regions.TryAdd(d.Name, d.Region);
        }

        string? RegionOf(string name) => regions.TryGetValue(name, out var region) ? region : null;

        if (route.Region is { } routeRegion)
        {
            // Every deployment the route can reach, with where it is named.
            var reached = new List<(string Deployment, string At)>();
            void Add(string? name, string at)
            {
                if (name is not null)
                {
                    reached.Add((name, at));
                }
            }

            Add(route.Deployment, "deployment");
            for (var j = 0; j < (route.Split?.Count ?? 0); j++)
            {
                Add(route.Split![j].Deployment, $"split[{j}].deployment");
            }

            for (var j = 0; j < (route.Tiers?.Levels.Count ?? 0); j++)
            {
                Add(route.Tiers!.Levels[j].Deployment, $"tiers.levels[{j}].deployment");
            }

            for (var j = 0; j < route.Fallbacks.Count; j++)
            {
                Add(route.Fallbacks[j], $"fallbacks[{j}]");
            }

            for (var j = 0; j < route.Rules.Count; j++)
            {
                Add(route.Rules[j].Deployment, $"rules[{j}].deployment");
                for (var k = 0; k < (route.Rules[j].Only?.Count ?? 0); k++)
                {
                    Add(route.Rules[j].Only![k], $"rules[{j}].only[{k}]");
                }
            }

            Add(route.Migration?.To, "migration.to");
            Add(route.Escalation?.To, "escalation.to");
            foreach (var (deployment, at) in reached)
            {
                if (regions.ContainsKey(deployment) && RegionOf(deployment) != routeRegion)
                {
                    errors.Add($"{path}.{at}: deployment '{deployment}' is {Where(RegionOf(deployment))}, outside the route's region '{routeRegion}'");
                }
            }
        }

        for (var j = 0; j < route.Rules.Count; j++)
        {
            var rule = route.Rules[j];
            if (rule.Region is not { } ruleRegion)
            {
                continue;
            }

            var at = $"{path}.rules[{j}]";
            if (route.Region is { } r && r != ruleRegion)
            {
                errors.Add($"{at}.region: '{ruleRegion}' differs from the route's region '{r}': no deployment can serve it");
            }

            if (rule.Deployment is { } d && regions.ContainsKey(d) && RegionOf(d) != ruleRegion)
            {
                errors.Add($"{at}.deployment: deployment '{d}' is {Where(RegionOf(d))}, outside the rule's region '{ruleRegion}'");
            }

            var candidates = rule.Only ?? [.. regions.Keys];
            if (!candidates.Any(c => RegionOf(c) == ruleRegion))
            {
                errors.Add(rule.Only is null
                    ? $"{at}.region: no deployment is in region '{ruleRegion}'"
                    : $"{at}.region: none of the rule's only deployments is in region '{ruleRegion}'");
            }
        }
    }

    private static string Where(string? region) => region is null ? "in no region" : $"in region '{region}'";
}
