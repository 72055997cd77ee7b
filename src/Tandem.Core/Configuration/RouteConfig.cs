namespace Tandem.Configuration;

/// <summary>A name a client sends as <c>model</c>, and the policy that picks its deployments.</summary>
/// <remarks>
/// Applied in order: <see cref="Rules"/> (first match decides), then <see cref="Split"/> or <see cref="Tiers"/> or the
/// single <see cref="Deployment"/>, then <see cref="Fallbacks"/> when the chosen deployment fails before the first byte.
/// </remarks>
public sealed record RouteConfig
{
    /// <summary>Unique name, distinct from every deployment name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The deployment that serves the route (single-deployment policy).</summary>
    public string? Deployment { get; set; }

    /// <summary>Prompt and answer content kept in records: <c>off</c> (default), <c>redacted</c> or <c>full</c>.</summary>
    public string Capture { get; set; } = CaptureModes.Off;

    /// <summary>
    /// Custom kinds of personal data for this route: name → regular expression. The route's rules may list them
    /// under <c>pii</c>, and <c>capture: redacted</c> masks their matches as <c>[name]</c>, like the built-in kinds
    /// (see <see cref="Privacy.PersonalDataDetector"/>). Patterns a rule declares under <c>when.patterns</c> join
    /// the same set.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Patterns { get; set; }

    /// <summary>Weighted split between deployments, e.g. 90/10.</summary>
    public IReadOnlyList<SplitArmConfig>? Split { get; set; }

    /// <summary>
    /// What keeps one user on one split arm: <c>user</c> (the OpenAI <c>user</c> field, the default),
    /// <c>header:NAME</c> or <c>metadata:FIELD</c>. Without it each request draws its arm at random.
    /// </summary>
    public string Sticky { get; set; } = "user";

    /// <summary>Complexity tiers: score ranges of a scorer mapped to deployments.</summary>
    public TiersConfig? Tiers { get; set; }

    /// <summary>Rules on request properties, evaluated in order; the first that matches decides.</summary>
    public IReadOnlyList<RuleConfig> Rules { get; set; } = [];

    /// <summary>Deployments tried in order when the chosen one fails before its first byte.</summary>
    public IReadOnlyList<string> Fallbacks { get; set; } = [];

    /// <summary>A migration of this route from its incumbent to a candidate deployment.</summary>
    public MigrationConfig? Migration { get; set; }

    /// <summary>Opt-in: judge the served answer and, when it scores low, answer from a stronger deployment.</summary>
    public EscalationConfig? Escalation { get; set; }

    /// <summary>
    /// Data residency: every deployment this route can reach (its deployment, split arms, tiers, rule targets,
    /// fallbacks, migration candidate, escalation target) must be tagged with this region; validation refuses others.
    /// </summary>
    public string? Region { get; set; }
    /// <summary>Opt-in: a distilled classifier that answers confident requests locally, before the policy runs.</summary>
    public LocalStageConfig? Local { get; set; }
}

/// <summary>One arm of a weighted split.</summary>
public sealed record SplitArmConfig
{
    /// <summary>The deployment.</summary>
    public string Deployment { get; set; } = "";

    /// <summary>Relative weight (e.g. 90 and 10).</summary>
    public double Weight { get; set; }
}

/// <summary>Complexity tiers.</summary>
public sealed record TiersConfig
{
    /// <summary>
    /// The scorer: <c>features</c> (built in, documented in the README) or <c>model</c>, a router trained with
    /// <c>tandem router train</c> and read from <see cref="Model"/>.
    /// </summary>
    public string Scorer { get; set; } = "features";

    /// <summary>
    /// The model file of the <c>model</c> scorer (a path, relative to the gateway's working directory). It is read
    /// when the configuration is loaded and again on every reload; its version is recorded with each decision.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>Levels, each taken when the score is at least its <c>min</c>; checked from the highest min down.</summary>
    public IReadOnlyList<TierConfig> Levels { get; set; } = [];
}

/// <summary>One complexity tier.</summary>
public sealed record TierConfig
{
    /// <summary>Lowest score (0–1) of the tier.</summary>
    public double Min { get; set; }

    /// <summary>The deployment serving it.</summary>
    public string Deployment { get; set; } = "";

}

/// <summary>
/// Synchronous escalation for a route: a judge deployment scores the cheap deployment's answer (1–5) and, when the
/// score is below <see cref="Below"/>, the stronger deployment <see cref="To"/> answers instead.
/// </summary>
public sealed record EscalationConfig
{
    /// <summary>The deployment that judges the served answer.</summary>
    public string Judge { get; set; } = "";

    /// <summary>The stronger deployment that answers when the score is low.</summary>
    public string To { get; set; } = "";

    /// <summary>Escalate when the judge's score is below this value (1–5, default 3).</summary>
    public double Below { get; set; } = 3;

    /// <summary>Rubric given to the judge; null uses Tandem's general helpfulness rubric.</summary>
    public string? Rubric { get; set; }

    /// <summary>
    /// What to do when the judge fails or its verdict cannot be parsed: <c>keep</c> (default) serves the cheap
    /// answer, <c>escalate</c> asks the stronger deployment. A verdict is never guessed.
    /// </summary>
    public string OnJudgeFailure { get; set; } = EscalationFailureModes.Keep;
}

/// <summary>Values of <see cref="EscalationConfig.OnJudgeFailure"/>.</summary>
public static class EscalationFailureModes
{
    /// <summary>Serve the cheap answer.</summary>
    public const string Keep = "keep";

    /// <summary>Ask the stronger deployment.</summary>
    public const string Escalate = "escalate";
}

/// <summary>A routing rule.</summary>
public sealed record RuleConfig
{
    /// <summary>Name shown in the decision, e.g. <c>pii</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The conditions, all of which must hold.</summary>
    public MatchConfig When { get; set; } = new();

    /// <summary>Serve matching requests with this deployment.</summary>
    public string? Deployment { get; set; }

    /// <summary>
    /// Matching requests may only reach these deployments, fallbacks included (e.g. personal data stays on-prem).
    /// </summary>
    public IReadOnlyList<string>? Only { get; set; }

    /// <summary>
    /// Matching requests may only reach deployments tagged with this region, fallbacks included (with
    /// <see cref="Only"/>, those of its deployments in the region): personal data stays in the region.
    /// </summary>
    public string? Region { get; set; }
}

/// <summary>Conditions of a rule; an omitted condition always holds.</summary>
public sealed record MatchConfig
{
    /// <summary>Gateway key names.</summary>
    public IReadOnlyList<string>? Keys { get; set; }

    /// <summary>Request headers and the values they must have (<c>*</c>: present).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; set; }

    /// <summary>Request <c>metadata</c> fields and their values (<c>*</c>: present).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; set; }

    /// <summary>Requested features, all required: <c>tools</c>, <c>images</c>, <c>json</c>, <c>stream</c>.</summary>
    public IReadOnlyList<string>? Features { get; set; }

    /// <summary>Estimated prompt tokens at least this many.</summary>
    public int? MinPromptTokens { get; set; }

    /// <summary>
    /// A daily window of local time, <c>HH:MM-HH:MM</c> on the 24-hour clock: the start is inside, the end is not,
    /// and <c>22:00-07:00</c> crosses midnight. Read in <see cref="Tz"/> (UTC when omitted) with the gateway's clock.
    /// </summary>
    public string? Time { get; set; }

    /// <summary>The IANA time zone of <see cref="Time"/>, e.g. <c>Europe/Berlin</c>; daylight saving time applies.</summary>
    public string? Tz { get; set; }

    /// <summary>
    /// Kinds of personal data, any of which matches: <c>email</c>, <c>phone</c>, <c>card</c>, <c>iban</c>,
    /// <c>ssn</c>, <c>ip</c>, <c>secret</c>, a name from the route's <c>patterns</c> (or a rule's), or <c>any</c>
    /// (all of them). See <see cref="Privacy.PersonalDataDetector"/>.
    /// </summary>
    public IReadOnlyList<string>? Pii { get; set; }

    /// <summary>
    /// Custom kinds of personal data (name → regular expression). They belong to the whole route, exactly as if
    /// declared under the route's <see cref="RouteConfig.Patterns"/>: every rule may list them, and capture masks them.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Patterns { get; set; }
}

/// <summary>Content capture modes of a route.</summary>
public static class CaptureModes
{
    /// <summary>No content is kept.</summary>
    public const string Off = "off";

    /// <summary>
    /// Content is kept with every kind of personal data the route's <c>pii</c> rules know masked (<c>[email]</c>,
    /// <c>[card]</c>, <c>[employee_id]</c>…): see <see cref="Privacy.PersonalDataDetector"/>.
    /// </summary>
    public const string Redacted = "redacted";

    /// <summary>Content is kept as sent and answered.</summary>
    public const string Full = "full";
}
