using System.Globalization;
using Tandem.Configuration;
using Tandem.Privacy;
using Tandem.Runtime;

namespace Tandem.Routing;

// A route's rules, compiled once per snapshot: what each matches and where it sends the request.
public sealed partial class RoutePolicy
{
    private sealed class CompiledRule
    {
        private readonly MatchConfig _when;
        private readonly PersonalDataDetector? _personalData;
        private readonly PersonalDataKindSet _pii;
        private readonly TimeWindow? _window;

        public CompiledRule(RuleConfig config, IReadOnlyDictionary<string, DeploymentRuntime> deployments, RouteConfig route)
        {
            Name = config.Name;
            _when = config.When;
            Deployment = config.Deployment is { } d ? deployments[d] : null;
            Only = config.Only?.Select(o => deployments[o]).ToArray();
            if (config.Region is { } region)
            {
                // Residency: of the allowed deployments (all, without only:), those in the region, in name order. Validation guarantees at least one, and that a rule's own deployment is among them.
                Only = (Only ?? deployments.Values.OrderBy(d => d.Config.Name, StringComparer.Ordinal).ToArray())
                    .Where(d => d.Config.Region == region).ToArray();
                if (Deployment is not null)
                {
                    Only = [Deployment, .. Only.Where(d => d != Deployment)];
                }
            }
            if (_when.Time is not null)
            {
                // Validated with the configuration; a window that does not parse here cannot reach a snapshot.
                _window = TimeWindow.TryParse(_when.Time, _when.Tz, out var error, out _) ?? throw new ArgumentException(error, nameof(config));
            }
            if (_when.Pii is { Count: > 0 } pii)
            {
                // The route's one vocabulary, shared with capture: redacted (RecordFinisher).
                _personalData = PersonalDataDetector.ForRoute(route);
                _pii = _personalData.KindsOf(pii);
            }
        }

        public string Name { get; }

        public DeploymentRuntime? Deployment { get; }

        public DeploymentRuntime[]? Only { get; }

        public IEnumerable<DeploymentRuntime> Targets => new[] { Deployment }.OfType<DeploymentRuntime>().Concat(Only ?? []);

        public bool Matches(RequestView r, TimeProvider time)
        {
            var w = _when;
            if (w.Keys is { } keys && !keys.Contains(r.KeyName))
            {
                return false;
            }

            if (w.Headers is { } headers)
            {
                foreach (var (name, value) in headers)
                {
                    var actual = r.Header(name);
                    if (actual is null || (value != "*" && !string.Equals(actual, value, StringComparison.Ordinal)))
                    {
                        return false;
                    }
                }
            }

            if (w.Metadata is { } metadata)
            {
                foreach (var (name, value) in metadata)
                {
                    if (r.Metadata is null || !r.Metadata.TryGetValue(name, out var actual) || (value != "*" && actual != value))
                    {
                        return false;
                    }
                }
            }

            if (w.Features is { } features)
            {
                foreach (var f in features)
                {
                    var has = f switch
                    {
                        "tools" => r.HasTools,
                        "images" => r.HasImages,
                        "json" => r.ResponseFormat is "json_object" or "json_schema",
                        "stream" => r.Stream,
                        _ => false,
                    };
                    if (!has)
                    {
                        return false;
                    }
                }
            }

            if (w.MinPromptTokens is int min && r.EstimatedPromptTokens < min)
            {
                return false;
            }

            if (_window is not null && !_window.Contains(time.GetUtcNow()))
            {
                return false;
            }

            if (_personalData is not null && !_personalData.ContainsAny(r.Text, _pii))
            {
                return false;
            }

            return true;
        }
    }
}
