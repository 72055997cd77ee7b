using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Tandem.Configuration;
using Tandem.Privacy;
using Tandem.Runtime;

namespace Tandem.Routing;

/// <summary>The outcome of a routing decision: deployments to try in order, and why.</summary>
/// <param name="Chain">The chosen deployment first, then its fallbacks.</param>
/// <param name="Reason">A one-line ASCII explanation (it is also sent as the <c>x-tandem-decision</c> header), e.g. <c>rule pii -> onprem</c> or <c>split arm llama (bucket 3712)</c>.</param>
public sealed record RoutePlan(IReadOnlyList<DeploymentRuntime> Chain, string Reason)
{
    /// <summary>Whether a rule's <c>only</c> list bounds the chain (nothing may widen it, migrations included).</summary>
    public bool Restricted { get; init; }
}

/// <summary>
/// A route's compiled policy: rules (first match decides), then split or tiers or the single deployment, then
/// fallbacks; deployments too small for the prompt are skipped, and a rule's <c>only</c> list bounds the whole chain.
/// </summary>
public sealed partial class RoutePolicy
{
    private const int Buckets = 10_000;

    private readonly string _route;
    private readonly CompiledRule[] _rules;
    private readonly (DeploymentRuntime Deployment, int UpperBucket)[] _arms;
    private readonly (double Min, DeploymentRuntime Deployment)[] _tiers;
    private readonly IComplexityScorer? _scorer;
    private readonly string _scorerNote = "";
    private readonly DeploymentRuntime? _single;
    private readonly DeploymentRuntime[] _fallbacks;
    private readonly string _sticky;
    private readonly RoutePlan? _fixedPlan;
    private readonly RandomSource _random;
    private readonly TimeProvider _time;

    // Each deployment the policy may choose first, followed by the fallbacks not already in it: the chain of every
    // decision that no rule's only-list and no context window changes, shared (plans only read their chain).
    private readonly Dictionary<DeploymentRuntime, DeploymentRuntime[]> _chains = new(ReferenceEqualityComparer.Instance);

    internal RoutePolicy(RouteConfig config, IReadOnlyDictionary<string, DeploymentRuntime> deployments, RandomSource? random = null, TimeProvider? time = null,
        Func<string, Learned.ISentenceEncoder?>? encoders = null)
    {
        _random = random ?? RandomSource.Shared;
        _time = time ?? TimeProvider.System;
        _route = config.Name;
        _sticky = config.Sticky;
        _fallbacks = config.Fallbacks.Select(f => deployments[f]).ToArray();
        _rules = config.Rules.Select(r => new CompiledRule(r, deployments, config)).ToArray();
        if (config.Split is { } split)
        {
            var total = split.Sum(a => a.Weight);
            var cumulative = 0.0;
            _arms = split.Where(a => a.Weight > 0).Select(a =>
            {
                cumulative += a.Weight;
                return (deployments[a.Deployment], (int)Math.Round(cumulative / total * Buckets));
            }).ToArray();
            _arms[^1].UpperBucket = Buckets;
        }
        else
        {
            _arms = [];
        }

        if (config.Tiers is { } tiers)
        {
            _tiers = tiers.Levels.OrderByDescending(l => l.Min).Select(l => (l.Min, deployments[l.Deployment])).ToArray();
            var model = tiers.Scorer == "model" ? LoadModel(config.Name, tiers.Model!, encoders) : null;
            _scorer = model?.Scorer ?? new FeatureComplexityScorer();
            _scorerNote = model is not null ? $" (model {model.Version})" : "";
        }
        else
        {
            _tiers = [];
        }

        _single = config.Deployment is { } d ? deployments[d] : null;
        Incumbent = _single ?? (_arms.Length > 0 ? split_heaviest(config, deployments) : _tiers[0].Deployment);
        foreach (var deployment in AllDeployments)
        {
            _chains[deployment] = [deployment, .. _fallbacks.Where(f => f != deployment)];
        }

        var needsContext = _chains[Incumbent].Any(x => x.Config.ContextWindow is not null);
        if (_single is not null && _rules.Length == 0 && !needsContext)
        {
            _fixedPlan = new RoutePlan(_chains[_single], $"route {_route} -> {_single.Name}");
        }

        static DeploymentRuntime split_heaviest(RouteConfig c, IReadOnlyDictionary<string, DeploymentRuntime> ds) =>
            ds[c.Split!.OrderByDescending(a => a.Weight).First().Deployment];
    }

    // Validation read the file already; one changed or removed since fails this snapshot like any invalid
    // configuration (a reload keeps the last good one) rather than escaping as an I/O error.
    private static Learned.RouterModel LoadModel(string route, string path, Func<string, Learned.ISentenceEncoder?>? encoders)
    {
        try
        {
            return Learned.RouterModelFile.Load(path, encoders);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ConfigException([$"route '{route}': tiers.model: cannot read the model: {e.Message}"]);
        }
    }

    /// <summary>
    /// The deployment the route stands on today: the single deployment, the heaviest split arm, or the highest tier.
    /// Used as the baseline for cost comparisons and migrations.
    /// </summary>
    public DeploymentRuntime Incumbent { get; }

    /// <summary>Every deployment the policy can choose, fallbacks included.</summary>
    public IEnumerable<DeploymentRuntime> AllDeployments =>
        new[] { _single }.OfType<DeploymentRuntime>()
            .Concat(_arms.Select(a => a.Deployment))
            .Concat(_tiers.Select(t => t.Deployment))
            .Concat(_rules.SelectMany(r => r.Targets))
            .Concat(_fallbacks)
            .Distinct();

    /// <summary>
    /// The plan of every request when the route has no rules, split or tiers (<see cref="Decide"/> returns it without
    /// reading the request), else null: a caller may skip building the <see cref="RequestView"/> for such a route.
    /// </summary>
    public RoutePlan? FixedPlan => _fixedPlan;

    /// <summary>Decides which deployments serve <paramref name="request"/>, in order.</summary>
    public RoutePlan Decide(RequestView request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_fixedPlan is not null)
        {
            return _fixedPlan;
        }

        DeploymentRuntime? primary = null;
        IReadOnlyList<DeploymentRuntime>? only = null;
        string reason;
        var rule = FirstMatch(request);
        if (rule is not null)
        {
            only = rule.Only;
            primary = rule.Deployment;
            reason = primary is not null ? $"rule {rule.Name} -> {primary.Name}" : $"rule {rule.Name}: only {string.Join(", ", rule.Only!.Select(o => o.Name))}";
        }
        else
        {
            reason = "";
        }

        if (primary is null)
        {
            var (chosen, why) = Choose(request);
            if (only is not null && !only.Contains(chosen))
            {
                primary = only[0];
                reason += $"; {why} not allowed -> {primary.Name}";
            }
            else
            {
                primary = chosen;
                reason = reason.Length == 0 ? why : reason + "; " + why;
            }
        }

        IReadOnlyList<DeploymentRuntime> chain = only is null && _chains.TryGetValue(primary, out var shared) ? shared : BoundedChain(primary, only);

        // Skip deployments whose context window cannot hold the prompt, keeping at least the largest one.
        var tokens = request.EstimatedPromptTokens + (request.Request.MaxTokens ?? 0);
        if (AnyTooSmall(chain, tokens))
        {
            var fits = chain.Where(c => c.Config.ContextWindow is not int w || w >= tokens).ToList();
            var skipped = chain.Where(c => !fits.Contains(c)).Select(c => c.Name);
            if (fits.Count == 0)
            {
                fits.Add(chain.MaxBy(c => c.Config.ContextWindow ?? 0)!);
            }

            reason += $"; context ~{tokens.ToString(CultureInfo.InvariantCulture)} tokens: skipped {string.Join(", ", skipped)}";
            chain = fits;
        }

        return new RoutePlan(chain, reason) { Restricted = only is not null };
    }

    private CompiledRule? FirstMatch(RequestView request)
    {
        foreach (var rule in _rules)
        {
            if (rule.Matches(request, _time))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>The primary, then the fallbacks and then the only-list's other deployments, each once, all within the only-list.</summary>
    private List<DeploymentRuntime> BoundedChain(DeploymentRuntime primary, IReadOnlyList<DeploymentRuntime>? only)
    {
        var chain = new List<DeploymentRuntime>(1 + _fallbacks.Length + (only?.Count ?? 0)) { primary };
        foreach (var f in _fallbacks)
        {
            if (!chain.Contains(f) && (only is null || only.Contains(f)))
            {
                chain.Add(f);
            }
        }

        if (only is not null)
        {
            foreach (var o in only)
            {
                if (!chain.Contains(o))
                {
                    chain.Add(o);
                }
            }
        }

        return chain;
    }

    private static bool AnyTooSmall(IReadOnlyList<DeploymentRuntime> chain, int tokens)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            if (chain[i].Config.ContextWindow < tokens)
            {
                return true;
            }
        }

        return false;
    }

    private (DeploymentRuntime Deployment, string Why) Choose(RequestView request)
    {
        if (_arms.Length > 0)
        {
            var stickyKey = StickyKey(request);
            var bucket = stickyKey is null ? _random.Next(Buckets) : (int)(Hash(_route, stickyKey) % Buckets);
            foreach (var (deployment, upper) in _arms)
            {
                if (bucket < upper)
                {
                    return (deployment, $"split arm {deployment.Name} (bucket {bucket.ToString(CultureInfo.InvariantCulture)}{(stickyKey is null ? ", unsticky" : "")})");
                }
            }
        }

        if (_tiers.Length > 0)
        {
            var score = _scorer!.Score(request);
            foreach (var (min, deployment) in _tiers)
            {
                if (score >= min)
                {
                    return (deployment, $"tier score {score.ToString("0.00", CultureInfo.InvariantCulture)}{_scorerNote} >= {min.ToString("0.##", CultureInfo.InvariantCulture)} -> {deployment.Name}");
                }
            }

            return (_tiers[^1].Deployment, $"tier score {score.ToString("0.00", CultureInfo.InvariantCulture)}{_scorerNote} -> {_tiers[^1].Deployment.Name}");
        }

        return (_single!, $"route {_route} -> {_single!.Name}");
    }

    private string? StickyKey(RequestView request)
    {
        if (_sticky == "user")
        {
            return request.User;
        }

        if (_sticky.StartsWith("header:", StringComparison.Ordinal))
        {
            return request.Header(_sticky[7..]);
        }

        if (_sticky.StartsWith("metadata:", StringComparison.Ordinal))
        {
            return request.Metadata is { } m && m.TryGetValue(_sticky[9..], out var v) ? v : null;
        }

        return null;
    }

    /// <summary>Stable hash of (route, sticky key): the same user lands in the same bucket on every instance.</summary>
    internal static ulong Hash(string route, string key)
    {
        // The UTF-8 bytes of route + NUL + key, hashed from the stack when they fit (a user id or header value does).
        var length = Encoding.UTF8.GetByteCount(route) + 1 + Encoding.UTF8.GetByteCount(key);
        byte[]? rented = null;
        var bytes = length <= 512 ? stackalloc byte[length] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        var written = Encoding.UTF8.GetBytes(route, bytes);
        bytes[written] = 0;
        Encoding.UTF8.GetBytes(key, bytes[(written + 1)..]);
        var hash = XxHash64.HashToUInt64(bytes);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        return hash;
    }
}
