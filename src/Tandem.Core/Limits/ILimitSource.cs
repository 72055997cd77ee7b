using System.Collections.Concurrent;
using Tandem.Configuration;

namespace Tandem.Limits;

/// <summary>
/// Which limits apply to a request, by key name, team and route. The configuration file is one source
/// (<see cref="ConfigLimitSource"/>); keys created through the admin API can bring their own by implementing this.
/// </summary>
public interface ILimitSource
{
    /// <summary>
    /// The limits of a caller on a route, or null when none applies (the request then costs no store round trip).
    /// Called once per request: return a cached list.
    /// </summary>
    IReadOnlyList<LimitSpec>? Find(string key, string? team, string? route);
}

/// <summary>The <c>limits:</c> section of the current configuration; follows reloads.</summary>
public sealed class ConfigLimitSource : ILimitSource
{
    private readonly Func<TandemConfig> _current;
    private Compiled? _compiled;

    /// <summary>Reads the limits of <paramref name="current"/>() (the live configuration).</summary>
    public ConfigLimitSource(Func<TandemConfig> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        _current = current;
    }

    /// <inheritdoc />
    public IReadOnlyList<LimitSpec>? Find(string key, string? team, string? route)
    {
        var config = _current().Limits;
        var compiled = _compiled;
        if (compiled is null || !ReferenceEquals(compiled.Config, config))
        {
            compiled = new Compiled(config);
            _compiled = compiled;
        }

        return compiled.Find(key, team, route);
    }

    /// <summary>The limits of one rule, in a fixed order.</summary>
    public static IEnumerable<LimitSpec> SpecsOf(LimitScope scope, string name, LimitRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.RequestsPerMinute is { } rpm)
        {
            yield return new LimitSpec(scope, name, LimitMeasure.Requests, LimitPeriod.Minute, rpm);
        }

        if (rule.TokensPerMinute is { } tpm)
        {
            yield return new LimitSpec(scope, name, LimitMeasure.Tokens, LimitPeriod.Minute, tpm);
        }

        if (rule.DailyRequests is { } dr)
        {
            yield return new LimitSpec(scope, name, LimitMeasure.Requests, LimitPeriod.Day, dr);
        }

        if (rule.MonthlyRequests is { } mr)
        {
            yield return new LimitSpec(scope, name, LimitMeasure.Requests, LimitPeriod.Month, mr);
        }

        if (rule.DailyTokens is { } dt)
        {
            yield return new LimitSpec(scope, name, LimitMeasure.Tokens, LimitPeriod.Day, dt);
        }

        if (rule.MonthlyTokens is { } mt)
        {
            yield return new LimitSpec(scope, name, LimitMeasure.Tokens, LimitPeriod.Month, mt);
        }

        if (rule.DailyUsd is { } du)
        {
            yield return new LimitSpec(scope, name, LimitMeasure.Usd, LimitPeriod.Day, Micros(du));
        }

        if (rule.MonthlyUsd is { } mu)
        {
            yield return new LimitSpec(scope, name, LimitMeasure.Usd, LimitPeriod.Month, Micros(mu));
        }
    }

    /// <summary>Dollars as micro-dollars, rounded up (a cap never shrinks to zero).</summary>
    public static long Micros(decimal usd) => (long)Math.Ceiling(usd * 1_000_000m);

    private sealed class Compiled
    {
        private readonly Dictionary<string, LimitSpec[]> _keys;
        private readonly Dictionary<string, LimitSpec[]> _teams;
        private readonly Dictionary<string, LimitSpec[]> _routes;
        private readonly ConcurrentDictionary<(string Key, string? Team, string? Route), LimitSpec[]?> _combined = new();

        public Compiled(LimitsConfig config)
        {
            Config = config;
            _keys = Build(LimitScope.Key, config.Keys);
            _teams = Build(LimitScope.Team, config.Teams);
            _routes = Build(LimitScope.Route, config.Routes);
        }

        public LimitsConfig Config { get; }

        public LimitSpec[]? Find(string key, string? team, string? route)
        {
            // The common case, a configuration without limits, answers before any lookup.
            if (_keys.Count == 0 && _teams.Count == 0 && _routes.Count == 0)
            {
                return null;
            }

            return _combined.GetOrAdd((key, team, route), static (k, self) =>
            {
                var list = new List<LimitSpec>();
                if (self._keys.TryGetValue(k.Key, out var byKey))
                {
                    list.AddRange(byKey);
                }

                if (k.Team is not null && self._teams.TryGetValue(k.Team, out var byTeam))
                {
                    list.AddRange(byTeam);
                }

                if (k.Route is not null && self._routes.TryGetValue(k.Route, out var byRoute))
                {
                    list.AddRange(byRoute);
                }

                return list.Count == 0 ? null : [.. list];
            }, this);
        }

        private static Dictionary<string, LimitSpec[]> Build(LimitScope scope, IReadOnlyDictionary<string, LimitRule> rules)
        {
            var map = new Dictionary<string, LimitSpec[]>(StringComparer.Ordinal);
            foreach (var (name, rule) in rules)
            {
                if (rule is not null)
                {
                    map[name] = [.. SpecsOf(scope, name, rule)];
                }
            }

            return map;
        }
    }
}
