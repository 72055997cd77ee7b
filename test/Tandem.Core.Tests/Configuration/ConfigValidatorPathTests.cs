using Tandem.Configuration;
using Xunit;

namespace Tandem.Core.Tests.Configuration;

/// <summary>
/// Every error of the configuration check, each from a configuration that is valid except for one thing, asserted
/// as the whole list of errors with their paths: the message a user reads, and nothing else beside it.
/// </summary>
public sealed class ConfigValidatorPathTests
{
    private const string Never = "TANDEM_TEST_NEVER_SET_19";
    private const string Hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private const string P = "{ name: p, base_url: \"http://127.0.0.1:9/v1\" }";
    private const string D = "{ name: d, provider: p, model: m }";
    private const string R = "{ name: r, deployment: d }";

    /// <summary>Provider types given explicitly, so that adapters added later do not change the expected messages.</summary>
    private static readonly string[] Types = ["azure-openai", "openai"];

    private static string Yaml(string? server = null, string auth = "{ disabled: true }", string providers = $"[ {P} ]", string deployments = $"[ {D} ]",
        string routes = $"[ {R} ]", string? storage = null) =>
        (server is null ? "" : $"server: {server}\n") + $"auth: {auth}\nproviders: {providers}\ndeployments: {deployments}\nroutes: {routes}\n"
        + (storage is null ? "" : $"storage: {storage}\n");

    private static IReadOnlyList<string> ErrorsOf(string yaml)
    {
        try
        {
            ConfigLoader.Parse(yaml, ConfigUse.Gateway, Types);
            return [];
        }
        catch (ConfigException e)
        {
            return e.Errors;
        }
    }

    private static string Route(string extra) => $"[ {{ name: r, deployment: d, {extra} }} ]";

    private static string Deployment(string extra) => $"[ {{ name: d, provider: p, model: m, {extra} }} ]";

    private static string Provider(string extra) => $"[ {{ name: p, base_url: \"http://127.0.0.1:9/v1\", {extra} }} ]";

    public static TheoryData<string, string, string[]> Cases => new()
    {
        // server
        { "max_body_bytes 0", Yaml(server: "{ max_body_bytes: 0 }"), ["server.max_body_bytes: must be positive"] },
        { "shutdown over 1h", Yaml(server: "{ shutdown_timeout: 2h }"), ["server.shutdown_timeout: '2h' must be a duration between 1ms and 1h, e.g. 30s"] },
        { "shutdown zero", Yaml(server: "{ shutdown_timeout: 0s }"), ["server.shutdown_timeout: '0s' must be a duration between 1ms and 1h, e.g. 30s"] },
        { "shutdown text", Yaml(server: "{ shutdown_timeout: soon }"), ["server.shutdown_timeout: 'soon' must be a duration between 1ms and 1h, e.g. 30s"] },
        { "shutdown 1h", Yaml(server: "{ shutdown_timeout: 1h, max_body_bytes: 1 }"), [] },
        { "sync below 100ms", Yaml(server: "{ sync_interval: 50ms }"), ["server.sync_interval: '50ms' must be a duration between 100ms and 1m, e.g. 2s"] },
        { "sync over 1m", Yaml(server: "{ sync_interval: 61s }"), ["server.sync_interval: '61s' must be a duration between 100ms and 1m, e.g. 2s"] },
        { "sync 100ms", Yaml(server: "{ sync_interval: 100ms }"), [] },
        { "sync 1m", Yaml(server: "{ sync_interval: 1m }"), [] },
        { "key with empty team", Yaml(auth: "{ keys: [ { name: a, key: sk-test-12345, team: ' ' } ] }"), ["auth.keys[0].team: must not be empty when set"] },
        { "no keys but an admin key", Yaml(auth: $"{{ keys: [], admin_key_sha256: {Hash} }}"), [] },

        // auth
        { "key without name", Yaml(auth: "{ keys: [ { key: sk-test-12345 } ] }"), ["auth.keys[0].name: required"] },
        { "duplicate key", Yaml(auth: "{ keys: [ { name: a, key: sk-test-12345 }, { name: a, key: sk-test-67890 } ] }"), ["auth.keys[1].name: duplicate key name 'a'"] },
        { "key without secret", Yaml(auth: "{ keys: [ { name: a } ] }"), ["auth.keys[0]: set exactly one of key_sha256, key_env or key"] },
        { "key with two secrets", Yaml(auth: $"{{ keys: [ {{ name: a, key: sk-test-12345, key_sha256: {Hash} }} ] }}"), ["auth.keys[0]: set exactly one of key_sha256, key_env or key"] },
        { "key hash not hex", Yaml(auth: "{ keys: [ { name: a, key_sha256: abc } ] }"), ["auth.keys[0].key_sha256: must be 64 hexadecimal characters"] },
        { "key env unset", Yaml(auth: $"{{ keys: [ {{ name: a, key_env: {Never} }} ] }}"), [$"auth.keys[0].key_env: environment variable '{Never}' is not set"] },
        { "key 7 chars", Yaml(auth: "{ keys: [ { name: a, key: 1234567 } ] }"), ["auth.keys[0].key: too short (at least 8 characters)"] },
        { "key 8 chars", Yaml(auth: "{ keys: [ { name: a, key: 12345678, routes: [r, d, \"*\"] } ] }"), [] },
        { "no keys", Yaml(auth: "{ keys: [] }"), ["auth.keys: at least one key is required (or an admin key to create keys with, or auth.disabled: true for a local demo)"] },
        { "admin hash", Yaml(auth: "{ disabled: true, admin_key_sha256: xyz }"), ["auth.admin_key_sha256: must be 64 hexadecimal characters"] },

        // providers
        { "provider without name", Yaml(providers: "[ { base_url: \"http://127.0.0.1:9/v1\" } ]"), ["providers[0].name: required", "deployments[0].provider: unknown provider 'p'"] },
        { "duplicate provider", Yaml(providers: $"[ {P}, {P} ]"), ["providers[1].name: duplicate provider 'p'"] },
        { "provider type", Yaml(providers: Provider("type: watsonx")), ["providers[0].type: unknown provider type 'watsonx' (expected 'azure-openai' or 'openai')"] },
        { "ftp url", Yaml(providers: "[ { name: p, base_url: \"ftp://127.0.0.1/v1\" } ]"), ["providers[0].base_url: 'ftp://127.0.0.1/v1' is not an absolute http(s) URL"] },
        { "relative url", Yaml(providers: "[ { name: p, base_url: v1 } ]"), ["providers[0].base_url: 'v1' is not an absolute http(s) URL"] },
        { "no url", Yaml(providers: "[ { name: p } ]"), ["providers[0].base_url: '' is not an absolute http(s) URL"] },
        { "bad endpoint", Yaml(providers: "[ { name: p, endpoints: [\"http://127.0.0.1:1/v1\", nope] } ]"), ["providers[0].endpoints[1]: 'nope' is not an absolute http(s) URL"] },
        { "balance", Yaml(providers: Provider("balance: random")), ["providers[0].balance: unknown balancing 'random' (expected 'least_outstanding' or 'p2c')"] },
        { "balance p2c", Yaml(providers: Provider("balance: p2c")), [] },
        {
            "health check", Yaml(providers: Provider("health_check: { interval: 0s, timeout: 25d }")),
            ["providers[0].health_check.interval: '0s' is not a positive duration (e.g. 500ms, 5s, 2m)", "providers[0].health_check.timeout: '25d' is too long (at most 24d)"]
        },
        { "azure without version", Yaml(providers: Provider("type: azure-openai")), ["providers[0].api_version: required for azure-openai"] },
        { "api key env unset", Yaml(providers: Provider($"api_key_env: {Never}")), [$"providers[0].api_key_env: environment variable '{Never}' is not set"] },
        { "concurrency 0", Yaml(providers: Provider("max_concurrency: 0")), ["providers[0].max_concurrency: must be positive"] },
        { "queue -1", Yaml(providers: Provider("max_queue: -1")), ["providers[0].max_queue: must be zero or more"] },
        { "queue 0", Yaml(providers: Provider("max_queue: 0, max_concurrency: 1")), [] },
        {
            "timeouts", Yaml(providers: Provider("timeouts: { connect: x, first_byte: 30s, total: 10s, idle: -1s }")),
            [
                "providers[0].timeouts.connect: 'x' is not a positive duration (e.g. 500ms, 5s, 2m)",
                "providers[0].timeouts.idle: '-1s' is not a positive duration (e.g. 500ms, 5s, 2m)",
                "providers[0].timeouts.first_byte: '30s' is longer than timeouts.total '10s'; the total bounds the whole upstream exchange",
            ]
        },
        { "first byte equals total", Yaml(providers: Provider("timeouts: { first_byte: 10s, total: 10s }")), [] },
        { "header name", Yaml(providers: Provider("headers: { \"bad header\": x, \"a:b\": y, ok-name: z }")), ["providers[0].headers: 'bad header' is not a valid header name", "providers[0].headers: 'a:b' is not a valid header name"] },

        // deployments
        { "deployment without name", Yaml(deployments: "[ { provider: p, model: m } ]"), ["deployments[0].name: required", "routes[0].deployment: unknown deployment 'd'"] },
        { "duplicate deployment", Yaml(deployments: $"[ {D}, {D} ]"), ["deployments[1].name: duplicate deployment 'd'"] },
        { "deployment without provider", Yaml(deployments: "[ { name: d, model: m } ]"), ["deployments[0].provider: required"] },
        { "unknown provider", Yaml(deployments: "[ { name: d, provider: q, model: m } ]"), ["deployments[0].provider: unknown provider 'q'"] },
        { "deployment without model", Yaml(deployments: "[ { name: d, provider: p } ]"), ["deployments[0].model: required"] },
        { "context window 0", Yaml(deployments: Deployment("context_window: 0")), ["deployments[0].context_window: must be positive"] },
        { "retries 11", Yaml(deployments: Deployment("resilience: { retries: 11 }")), ["deployments[0].resilience.retries: must be between 0 and 10"] },
        { "retries -1", Yaml(deployments: Deployment("resilience: { retries: -1 }")), ["deployments[0].resilience.retries: must be between 0 and 10"] },
        { "retries 10", Yaml(deployments: Deployment("resilience: { retries: 10, breaker: { failure_ratio: 1, min_throughput: 2 } }")), [] },
        {
            "retry durations", Yaml(deployments: Deployment("resilience: { retry_backoff: 2d, max_retry_after: never }")),
            ["deployments[0].resilience.retry_backoff: '2d' is too long (at most 1d)", "deployments[0].resilience.max_retry_after: 'never' is not a positive duration (e.g. 500ms, 5s, 2m)"]
        },
        {
            "breaker", Yaml(deployments: Deployment("resilience: { breaker: { failure_ratio: 0, min_throughput: 1, window: 0s, break_for: 25h } }")),
            [
                "deployments[0].resilience.breaker.failure_ratio: must be in (0, 1]",
                "deployments[0].resilience.breaker.min_throughput: must be at least 2",
                "deployments[0].resilience.breaker.window: '0s' is not a positive duration (e.g. 500ms, 5s, 2m)",
                "deployments[0].resilience.breaker.break_for: '25h' is too long (at most 1d)",
            ]
        },
        { "failure ratio 1.5", Yaml(deployments: Deployment("resilience: { breaker: { failure_ratio: 1.5 } }")), ["deployments[0].resilience.breaker.failure_ratio: must be in (0, 1]"] },
        { "retires", Yaml(deployments: Deployment("retires: \"2027-13-01\"")), ["deployments[0].retires: '2027-13-01' is not a date (YYYY-MM-DD)"] },
        { "retires ok", Yaml(deployments: Deployment("retires: \"2027-01-14\"")), [] },
        { "usage", Yaml(deployments: Deployment("usage: guess")), ["deployments[0].usage: unknown mode 'guess' (expected 'reported' or 'estimate')"] },
        { "tokenizer", Yaml(deployments: Deployment("tokenizer: p50k")), ["deployments[0].tokenizer: unknown tokenizer 'p50k' (expected 'o200k' or 'cl100k')"] },
        { "pricing empty", Yaml(deployments: Deployment("pricing: {}")), ["deployments[0].pricing: set input_per_mtok and output_per_mtok, or fixed_monthly"] },
        { "pricing output only", Yaml(deployments: Deployment("pricing: { output_per_mtok: 1 }")), ["deployments[0].pricing: token pricing needs both input_per_mtok and output_per_mtok"] },
        {
            "pricing negative parts", Yaml(deployments: Deployment("pricing: { input_per_mtok: 1, output_per_mtok: 1, cached_input_per_mtok: -1, reasoning_per_mtok: -2 }")),
            ["deployments[0].pricing.cached_input_per_mtok: must be ≥ 0", "deployments[0].pricing.reasoning_per_mtok: must be ≥ 0"]
        },
        {
            "pricing fixed negative", Yaml(deployments: Deployment("pricing: { fixed_monthly: -1, marginal_per_mtok: -2 }")),
            ["deployments[0].pricing.fixed_monthly: must be ≥ 0", "deployments[0].pricing.marginal_per_mtok: must be ≥ 0"]
        },
        { "pricing capacity 0", Yaml(deployments: Deployment("pricing: { fixed_monthly: 100, capacity_tokens_per_second: 0 }")), ["deployments[0].pricing.capacity_tokens_per_second: must be positive"] },
        { "pricing capacity without fixed", Yaml(deployments: Deployment("pricing: { input_per_mtok: 1, output_per_mtok: 1, capacity_tokens_per_second: 10 }")), ["deployments[0].pricing.capacity_tokens_per_second: only with fixed_monthly"] },
        { "pricing breakdown sum", Yaml(deployments: Deployment("pricing: { fixed_monthly: 100, fixed_monthly_breakdown: { gpu: 60, ops: 30 } }")), ["deployments[0].pricing.fixed_monthly_breakdown: parts add up to 90, not fixed_monthly 100"] },
        { "pricing breakdown negative", Yaml(deployments: Deployment("pricing: { fixed_monthly_breakdown: { gpu: -5 } }")), ["deployments[0].pricing.fixed_monthly_breakdown.gpu: must be ≥ 0"] },
        { "pricing both kinds", Yaml(deployments: Deployment("pricing: { input_per_mtok: 1, output_per_mtok: 1, fixed_monthly: 5 }")), ["deployments[0].pricing: set either token prices (input_per_mtok, output_per_mtok…) or fixed_monthly, not both"] },

        // routes
        { "route without name", Yaml(routes: "[ { deployment: d } ]"), ["routes[0].name: required"] },
        { "duplicate route", Yaml(routes: $"[ {R}, {R} ]"), ["routes[1].name: duplicate route 'r'"] },
        { "route named as deployment", Yaml(routes: "[ { name: d, deployment: d } ]"), ["routes[0].name: 'd' is also a deployment name; route and deployment names must differ"] },
        { "route without policy", Yaml(routes: "[ { name: r } ]"), ["routes[0]: set exactly one of deployment, split or tiers"] },
        { "route with two policies", Yaml(routes: Route("split: [ { deployment: d, weight: 1 } ]")), ["routes[0]: set exactly one of deployment, split or tiers"] },
        { "route unknown deployment", Yaml(routes: "[ { name: r, deployment: x } ]"), ["routes[0].deployment: unknown deployment 'x'"] },
        { "route blank deployment", Yaml(routes: "[ { name: r, deployment: \" \" } ]"), ["routes[0].deployment: required"] },
        { "split empty", Yaml(routes: "[ { name: r, split: [] } ]"), ["routes[0].split: needs at least one arm"] },
        {
            "split arms", Yaml(routes: "[ { name: r, split: [ { deployment: x, weight: 1 }, { deployment: d, weight: -1 } ] } ]"),
            ["routes[0].split[0].deployment: unknown deployment 'x'", "routes[0].split[1].weight: must be zero or more", "routes[0].split: weights must add up to more than zero"]
        },
        { "split zero weights", Yaml(routes: "[ { name: r, split: [ { deployment: d, weight: 0 } ] } ]"), ["routes[0].split: weights must add up to more than zero"] },
        { "sticky", Yaml(routes: Route("sticky: cookie")), ["routes[0].sticky: 'cookie' is not user, none, header:NAME or metadata:FIELD"] },
        { "sticky header", Yaml(routes: Route("sticky: \"header:x-user\"")), [] },
        { "tiers model without file", Yaml(routes: "[ { name: r, tiers: { scorer: model, levels: [ { min: 0, deployment: d } ] } } ]"), ["routes[0].tiers.model: required by scorer 'model' (a file written by tandem router train)"] },
        { "tiers model missing", Yaml(routes: "[ { name: r, tiers: { scorer: model, model: /nonexistent-tandem-dir/m.bin, levels: [ { min: 0, deployment: d } ] } } ]"), ["routes[0].tiers.model: cannot read the model: Could not find a part of the path '/nonexistent-tandem-dir/m.bin'."] },
        { "tiers features with model", Yaml(routes: "[ { name: r, tiers: { model: m.bin, levels: [ { min: 0, deployment: d } ] } } ]"), ["routes[0].tiers.model: only the 'model' scorer reads a model file"] },
        { "tiers scorer and levels", Yaml(routes: "[ { name: r, tiers: { scorer: ml, levels: [] } } ]"), ["routes[0].tiers.scorer: unknown scorer 'ml' (expected 'features' or 'model')", "routes[0].tiers.levels: needs at least one level"] },
        {
            "tiers levels", Yaml(routes: "[ { name: r, tiers: { levels: [ { min: 0.5, deployment: x }, { min: 1.5, deployment: d } ] } } ]"),
            ["routes[0].tiers.levels: one level needs min: 0 so every score has a tier", "routes[0].tiers.levels[0].deployment: unknown deployment 'x'", "routes[0].tiers.levels[1].min: must be between 0 and 1"]
        },
        { "fallback", Yaml(routes: Route("fallbacks: [x]")), ["routes[0].fallbacks[0]: unknown deployment 'x'"] },
        { "rule without name", Yaml(routes: Route("rules: [ { deployment: d } ]")), ["routes[0].rules[0].name: required"] },
        { "rule time 25h", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { time: \"25:00-07:00\" } } ]")), ["routes[0].rules[0].when.time: '25:00-07:00' is not a window HH:MM-HH:MM on the 24-hour clock, e.g. 22:00-07:00"] },
        { "rule time minute 60", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { time: \"22:60-07:00\" } } ]")), ["routes[0].rules[0].when.time: '22:60-07:00' is not a window HH:MM-HH:MM on the 24-hour clock, e.g. 22:00-07:00"] },
        { "rule time one end", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { time: \"22:00\" } } ]")), ["routes[0].rules[0].when.time: '22:00' is not a window HH:MM-HH:MM on the 24-hour clock, e.g. 22:00-07:00"] },
        { "rule time short hour", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { time: \"9:00-17:00\" } } ]")), ["routes[0].rules[0].when.time: '9:00-17:00' is not a window HH:MM-HH:MM on the 24-hour clock, e.g. 22:00-07:00"] },
        { "rule time empty window", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { time: \"07:00-07:00\" } } ]")), ["routes[0].rules[0].when.time: '07:00-07:00' starts and ends at the same time; a window needs two different times"] },
        { "rule time bad zone", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { time: \"22:00-07:00\", tz: Mars/Olympus } } ]")), ["routes[0].rules[0].when.tz: unknown time zone 'Mars/Olympus' (expected an IANA id such as Europe/Berlin or UTC)"] },
        { "rule zone without time", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { tz: Europe/Berlin } } ]")), ["routes[0].rules[0].when.tz: a time zone needs when.time, the window it is read in"] },
        { "rule time in zone", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { time: \"22:00-07:00\", tz: Europe/Berlin } } ]")), [] },
        { "rule without target", Yaml(routes: Route("rules: [ { name: a } ]")), ["routes[0].rules[0]: set deployment, only, or both"] },
        { "rule only empty", Yaml(routes: Route("rules: [ { name: a, only: [] } ]")), ["routes[0].rules[0].only: needs at least one deployment"] },
        {
            "rule only", Yaml(routes: Route("rules: [ { name: a, deployment: d, only: [x] } ]")),
            ["routes[0].rules[0].only[0]: unknown deployment 'x'", "routes[0].rules[0].deployment: 'd' is not in the rule's own 'only' list"]
        },
        { "rule feature", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { features: [audio, json] } } ]")), ["routes[0].rules[0].when.features: unknown feature 'audio' (expected tools, images, json or stream)"] },
        { "capture", Yaml(routes: Route("capture: everything")), ["routes[0].capture: unknown mode 'everything' (expected 'off', 'redacted' or 'full')"] },
        { "pattern named as built-in", Yaml(routes: Route("patterns: { email: \"x\" }")), ["routes[0].patterns.email: 'email' cannot name a custom kind (empty, 'any' or built in)"] },
        { "pattern named any", Yaml(routes: Route("patterns: { any: \"x\" }")), ["routes[0].patterns.any: 'any' cannot name a custom kind (empty, 'any' or built in)"] },
        {
            "pattern redefined", Yaml(routes: Route("patterns: { order: \"A\\\\d+\" }, rules: [ { name: a, deployment: d, when: { patterns: { order: \"B\\\\d+\" }, pii: [order] } } ]")),
            ["routes[0].rules[0].when.patterns.order: 'order' is already defined with a different expression at routes[0].patterns.order"]
        },
        {
            "pattern defined twice the same", Yaml(routes: Route("patterns: { order: \"A\\\\d+\" }, rules: [ { name: a, deployment: d, when: { patterns: { order: \"A\\\\d+\" }, pii: [order, card, any] } } ]")),
            []
        },
        {
            "pii unknown", Yaml(routes: Route("rules: [ { name: a, deployment: d, when: { pii: [passport] } } ]")),
            ["routes[0].rules[0].when.pii: unknown kind 'passport' (expected any, email, secret, iban, card, ssn, ip, phone or a name in the route's patterns)"]
        },
        {
            "escalation", Yaml(deployments: $"[ {D}, {{ name: big, provider: p, model: b }} ]", routes: Route("escalation: { judge: x, to: d, below: 1 }")),
            [
                "routes[0].escalation.judge: unknown deployment 'x'",
                "routes[0].escalation.to: 'd' already serves the route; escalate to a different deployment",
                "routes[0].escalation.below: must be greater than 1 and at most 5 (judge scores run from 1 to 5)",
            ]
        },
        {
            "escalation missing", Yaml(routes: Route("escalation: { below: 5.5, on_judge_failure: panic }")),
            [
                "routes[0].escalation.judge: required",
                "routes[0].escalation.to: required",
                "routes[0].escalation.below: must be greater than 1 and at most 5 (judge scores run from 1 to 5)",
                "routes[0].escalation.on_judge_failure: expected 'keep' or 'escalate'",
            ]
        },
        { "escalation unknown to", Yaml(routes: Route("escalation: { judge: d, to: y, below: 5 }")), ["routes[0].escalation.to: unknown deployment 'y'"] },

        // migration
        {
            "migration", Yaml(routes: Route("migration: { to: x, stage: pilot, shadow_rate: 1.5, shadow_concurrency: 0, canary_steps: [0, 100], evaluate_every: 0s, judge: y }")),
            [
                "routes[0].migration.to: unknown deployment 'x'",
                "routes[0].migration.stage: unknown stage 'pilot' (expected shadow, canary, cutover or full)",
                "routes[0].migration.shadow_rate: must be between 0 and 1",
                "routes[0].migration.shadow_concurrency: must be at least 1",
                "routes[0].migration.canary_steps: needs one or more percentages between 0 and 100",
                "routes[0].migration.evaluate_every: '0s' is not a positive duration (e.g. 500ms, 5s, 2m)",
                "routes[0].migration.judge: unknown deployment 'y'",
            ]
        },
        { "migration no steps", Yaml(routes: Route("migration: { to: d, canary_steps: [] }")), ["routes[0].migration.canary_steps: needs one or more percentages between 0 and 100"] },
        {
            "migration compare", Yaml(routes: Route("migration: { to: d, compare: { kind: semantic, label: first } }")),
            ["routes[0].migration.compare.kind: unknown kind 'semantic' (expected classification, structured or text)", "routes[0].migration.compare.label: 'first' is not normalized, json:FIELD or regex:PATTERN"]
        },
        {
            "migration gates", Yaml(routes: Route("migration: { to: d, gates: { min_judge_score: 3, min_duration: soon, min_samples: 0 } }")),
            [
                "routes[0].migration.gates.min_judge_score: needs a judge deployment (migration.judge)",
                "routes[0].migration.gates.min_duration: 'soon' is not a duration (e.g. 0s, 10m, 1h)",
                "routes[0].migration.gates.min_samples: must be at least 1",
            ]
        },
        { "migration json label", Yaml(routes: Route("migration: { to: d, compare: { kind: structured, label: \"json:intent\" }, gates: { min_samples: 1, min_duration: 0s } }")), [] },

        // storage
        { "storage contradiction", Yaml(storage: "{ engine: sqlite, provider: postgres }"), ["storage.provider: 'postgres' contradicts storage.engine 'sqlite' (provider is the old name of engine: keep only engine)"] },
        { "storage engine", Yaml(storage: "{ engine: mysql }"), ["storage.engine: unknown engine 'mysql' (expected 'sqlite' or 'postgres')"] },
        { "storage path", Yaml(storage: "{ engine: sqlite, path: \"\" }"), ["storage.path: required for sqlite"] },
        { "postgres without connection", Yaml(storage: "{ engine: postgres }"), ["storage.connection_string_env: required for postgres"] },
        {
            "postgres unset and schema", Yaml(storage: $"{{ engine: postgres, connection_string_env: {Never}, schema: 1bad }}"),
            [$"storage.connection_string_env: environment variable '{Never}' is not set", "storage.schema: '1bad' must be a plain identifier (letters, digits, underscore)"]
        },
        { "storage sizes", Yaml(storage: "{ queue_capacity: 0, batch_size: 0 }"), ["storage.queue_capacity: must be positive", "storage.batch_size: must be positive"] },
        { "storage batch equals queue", Yaml(storage: "{ queue_capacity: 10, batch_size: 10 }"), [] },
        { "storage retention", Yaml(storage: "{ retention_days: 30, rollup_retention_days: 29 }"), ["storage.rollup_retention_days: must be at least storage.retention_days"] },
        { "storage salt", Yaml(storage: $"{{ end_user_salt_env: {Never} }}"), [$"storage.end_user_salt_env: environment variable '{Never}' is not set"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_OneProblem_ReportsExactlyItsErrors(string name, string yaml, string[] expected)
    {
        Assert.NotNull(name);

        Assert.Equal(expected, ErrorsOf(yaml));
    }

    [Fact]
    public void Validate_InvalidRegularExpressions_AreReportedWithTheirPath()
    {
        var errors = ErrorsOf(Yaml(routes: Route("patterns: { order: \"([\" }, migration: { to: d, compare: { label: \"regex:([\" } }")));

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("routes[0].patterns.order: invalid regular expression: ", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("routes[0].migration.compare.label: invalid regular expression: ", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TooManyCustomKinds_IsRefused()
    {
        // 57 custom kinds fit beside the 7 built-in ones in 64; the 58th does not.
        var patterns = string.Join(", ", Enumerable.Range(0, 58).Select(i => $"k{i}: \"x{i}\""));

        Assert.Equal(["routes[0].patterns: at most 57 custom kinds per route (58 defined)"], ErrorsOf(Yaml(routes: Route($"patterns: {{ {patterns} }}"))));
        Assert.Empty(ErrorsOf(Yaml(routes: Route($"patterns: {{ {string.Join(", ", Enumerable.Range(0, 57).Select(i => $"k{i}: \"x{i}\""))} }}"))));
    }

    [Fact]
    public void Validate_ForATool_SkipsTheGatewayKeys()
    {
        var yaml = Yaml(auth: "{ keys: [ { name: a } ] }");

        Assert.Equal(["auth.keys[0]: set exactly one of key_sha256, key_env or key"], ErrorsOf(yaml));
        Assert.Empty(ConfigValidator.Validate(ConfigLoader.Parse(Yaml(), ConfigUse.Tool, Types) with { Auth = new AuthConfig { Keys = [new ApiKeyConfig { Name = "a" }] } }, ConfigUse.Tool, Types));
    }
}
