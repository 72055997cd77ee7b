using System.Text.RegularExpressions;
using Tandem.Privacy;

namespace Tandem.Configuration;

public static partial class ConfigValidator
{
    private static void ValidateRoutes(TandemConfig config, HashSet<string> deployments, List<string> errors, bool checkKeys)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Routes.Count; i++)
        {
            var r = config.Routes[i];
            var path = $"routes[{i}]";
            if (string.IsNullOrWhiteSpace(r.Name))
            {
                errors.Add($"{path}.name: required");
            }
            else if (!names.Add(r.Name))
            {
                errors.Add($"{path}.name: duplicate route '{r.Name}'");
            }
            else if (deployments.Contains(r.Name))
            {
                errors.Add($"{path}.name: '{r.Name}' is also a deployment name; route and deployment names must differ");
            }

            var policies = (r.Deployment is null ? 0 : 1) + (r.Split is null ? 0 : 1) + (r.Tiers is null ? 0 : 1);
            if (policies != 1)
            {
                errors.Add($"{path}: set exactly one of deployment, split or tiers");
            }

            CheckDeployment(r.Deployment, $"{path}.deployment", deployments, errors);
            if (r.Split is { } split)
            {
                if (split.Count == 0)
                {
                    errors.Add($"{path}.split: needs at least one arm");
                }

                for (var j = 0; j < split.Count; j++)
                {
                    CheckDeployment(split[j].Deployment, $"{path}.split[{j}].deployment", deployments, errors);
                    if (split[j].Weight < 0 || double.IsNaN(split[j].Weight))
                    {
                        errors.Add($"{path}.split[{j}].weight: must be zero or more");
                    }
                }

                if (split.Count > 0 && split.Sum(a => a.Weight) <= 0)
                {
                    errors.Add($"{path}.split: weights must add up to more than zero");
                }
            }

            if (!(r.Sticky is "user" or "none" || r.Sticky.StartsWith("header:", StringComparison.Ordinal) || r.Sticky.StartsWith("metadata:", StringComparison.Ordinal)))
            {
                errors.Add($"{path}.sticky: '{r.Sticky}' is not user, none, header:NAME or metadata:FIELD");
            }

            if (r.Tiers is { } tiers)
            {
                if (tiers.Scorer is not ("features" or "model"))
                {
                    errors.Add($"{path}.tiers.scorer: unknown scorer '{tiers.Scorer}' (expected 'features' or 'model')");
                }
                else if (tiers.Scorer == "model" && tiers.Model is null)
                {
                    errors.Add($"{path}.tiers.model: required by scorer 'model' (a file written by tandem router train)");
                }
                else if (tiers.Scorer == "model")
                {
                    try
                    {
                        _ = Routing.Learned.RouterModelFile.Read(tiers.Model!);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                    {
                        errors.Add($"{path}.tiers.model: cannot read the model: {e.Message}");
                    }
                }
                else if (tiers.Model is not null)
                {
                    errors.Add($"{path}.tiers.model: only the 'model' scorer reads a model file");
                }

                if (tiers.Levels.Count == 0)
                {
                    errors.Add($"{path}.tiers.levels: needs at least one level");
                }
                else if (!tiers.Levels.Any(l => l.Min <= 0))
                {
                    errors.Add($"{path}.tiers.levels: one level needs min: 0 so every score has a tier");
                }

                for (var j = 0; j < tiers.Levels.Count; j++)
                {
                    CheckDeployment(tiers.Levels[j].Deployment, $"{path}.tiers.levels[{j}].deployment", deployments, errors);
                    if (tiers.Levels[j].Min is < 0 or > 1)
                    {
                        errors.Add($"{path}.tiers.levels[{j}].min: must be between 0 and 1");
                    }
                }
            }

            for (var j = 0; j < r.Fallbacks.Count; j++)
            {
                CheckDeployment(r.Fallbacks[j], $"{path}.fallbacks[{j}]", deployments, errors);
            }

            if (r.Local is { } local)
            {
                ValidateLocalStage(local, $"{path}.local", errors);
            }

            for (var j = 0; j < r.Rules.Count; j++)
            {
                ValidateRule(r.Rules[j], $"{path}.rules[{j}]", deployments, errors);
            }

            ValidatePersonalData(r, path, errors);
            ValidateResidency(config, r, path, errors);

            if (r.Migration is { } m)
            {
                ValidateMigration(m, $"{path}.migration", deployments, errors);
            }

            if (r.Escalation is { } escalation)
            {
                ValidateEscalation(escalation, r, $"{path}.escalation", deployments, errors);
            }

            if (r.Capture is not (CaptureModes.Off or CaptureModes.Redacted or CaptureModes.Full))
            {
                errors.Add($"{path}.capture: unknown mode '{r.Capture}' (expected 'off', 'redacted' or 'full')");
            }
        }

        for (var i = 0; checkKeys && i < config.Auth.Keys.Count; i++)
        {
            var allowed = config.Auth.Keys[i].Routes;
            for (var j = 0; j < allowed.Count; j++)
            {
                var name = allowed[j];
                if (name != "*" && !names.Contains(name) && !deployments.Contains(name))
                {
                    errors.Add($"auth.keys[{i}].routes[{j}]: unknown route or deployment '{name}'");
                }
            }
        }
    }

    private static void ValidateRule(RuleConfig rule, string path, HashSet<string> deployments, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(rule.Name))
        {
            errors.Add($"{path}.name: required");
        }

        if (rule.Deployment is null && rule.Only is null && rule.Region is null)
        {
            errors.Add($"{path}: set deployment, only, or both");
        }

        CheckDeployment(rule.Deployment, $"{path}.deployment", deployments, errors);
        if (rule.Only is { } only)
        {
            if (only.Count == 0)
            {
                errors.Add($"{path}.only: needs at least one deployment");
            }

            for (var k = 0; k < only.Count; k++)
            {
                CheckDeployment(only[k], $"{path}.only[{k}]", deployments, errors);
            }

            if (rule.Deployment is not null && !only.Contains(rule.Deployment))
            {
                errors.Add($"{path}.deployment: '{rule.Deployment}' is not in the rule's own 'only' list");
            }
        }

        var when = rule.When;
        foreach (var f in when.Features ?? [])
        {
            if (f is not ("tools" or "images" or "json" or "stream"))
            {
                errors.Add($"{path}.when.features: unknown feature '{f}' (expected tools, images, json or stream)");
            }
        }

        if (when.Time is null && when.Tz is not null)
        {
            errors.Add($"{path}.when.tz: a time zone needs when.time, the window it is read in");
        }
        else if (when.Time is not null && Routing.TimeWindow.TryParse(when.Time, when.Tz, out var timeError, out var zoneError) is null)
        {
            errors.Add($"{path}.when.{(zoneError ? "tz" : "time")}: {timeError}");
        }
    }

    // One vocabulary per route: the route's patterns and its rules' when.patterns together, usable by every rule's
    // pii list and masked by capture: redacted (Privacy.PersonalDataDetector.ForRoute builds the same set).
    private static void ValidatePersonalData(RouteConfig route, string path, List<string> errors)
    {
        var defined = new Dictionary<string, (string Pattern, string Path)>(StringComparer.Ordinal);
        Define(route.Patterns, $"{path}.patterns");
        for (var j = 0; j < route.Rules.Count; j++)
        {
            Define(route.Rules[j].When.Patterns, $"{path}.rules[{j}].when.patterns");
        }

        if (defined.Count > PersonalDataDetector.MaxCustomKinds)
        {
            errors.Add($"{path}.patterns: at most {PersonalDataDetector.MaxCustomKinds} custom kinds per route ({defined.Count} defined)");
        }

        for (var j = 0; j < route.Rules.Count; j++)
        {
            foreach (var kind in route.Rules[j].When.Pii ?? [])
            {
                if (kind != PersonalDataDetector.Any && !PersonalDataKind.IsBuiltIn(kind) && !defined.ContainsKey(kind))
                {
                    errors.Add($"{path}.rules[{j}].when.pii: unknown kind '{kind}' (expected any, {string.Join(", ", PersonalDataKind.BuiltIn)} or a name in the route's patterns)");
                }
            }
        }

        void Define(IReadOnlyDictionary<string, string>? patterns, string at)
        {
            foreach (var (name, pattern) in patterns ?? new Dictionary<string, string>())
            {
                if (string.IsNullOrWhiteSpace(name) || name == PersonalDataDetector.Any || PersonalDataKind.IsBuiltIn(name))
                {
                    errors.Add($"{at}.{name}: '{name}' cannot name a custom kind (empty, 'any' or built in)");
                    continue;
                }

                try
                {
                    _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                }
                catch (ArgumentException e)
                {
                    errors.Add($"{at}.{name}: invalid regular expression: {e.Message}");
                    continue;
                }

                if (!defined.TryAdd(name, (pattern, $"{at}.{name}")) && defined[name].Pattern != pattern)
                {
                    errors.Add($"{at}.{name}: '{name}' is already defined with a different expression at {defined[name].Path}");
                }
            }
        }
    }

    private static void ValidateEscalation(EscalationConfig e, RouteConfig route, string path, HashSet<string> deployments, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(e.Judge))
        {
            errors.Add($"{path}.judge: required");
        }
        else if (!deployments.Contains(e.Judge))
        {
            errors.Add($"{path}.judge: unknown deployment '{e.Judge}'");
        }

        if (string.IsNullOrWhiteSpace(e.To))
        {
            errors.Add($"{path}.to: required");
        }
        else if (!deployments.Contains(e.To))
        {
            errors.Add($"{path}.to: unknown deployment '{e.To}'");
        }
        else if (e.To == route.Deployment)
        {
            errors.Add($"{path}.to: '{e.To}' already serves the route; escalate to a different deployment");
        }

        if (double.IsNaN(e.Below) || e.Below <= 1 || e.Below > 5)
        {
            errors.Add($"{path}.below: must be greater than 1 and at most 5 (judge scores run from 1 to 5)");
        }

        if (e.OnJudgeFailure is not (EscalationFailureModes.Keep or EscalationFailureModes.Escalate))
        {
            errors.Add($"{path}.on_judge_failure: expected '{EscalationFailureModes.Keep}' or '{EscalationFailureModes.Escalate}'");
        }
    }

    private static void CheckDeployment(string? name, string path, HashSet<string> deployments, List<string> errors)
    {
        if (name is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add($"{path}: required");
        }
        else if (!deployments.Contains(name))
        {
            errors.Add($"{path}: unknown deployment '{name}'");
        }
    }
}
