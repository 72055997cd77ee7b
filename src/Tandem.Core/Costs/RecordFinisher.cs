using System.Security.Cryptography;
using System.Text;
using Tandem.Configuration;
using Tandem.Privacy;
using Tandem.Records;
using Tandem.Runtime;
using Tandem.Wire;

namespace Tandem.Costs;

/// <summary>
/// Completes a request's record from what the request path learnt: token counts (estimated with a tokenizer when the
/// upstream reported none), cost, captured content per the route's <c>capture</c> setting, and the end-user id
/// (hashed when configured). Cheap on the common path: prices are resolved once per configuration snapshot, and the
/// tokenizer and redaction run only for requests that need them.
/// </summary>
public sealed class RecordFinisher
{
    /// <summary>Longest captured prompt or answer, in characters; longer content is cut with a marker.</summary>
    public const int MaxCapturedChars = 256 * 1024;

    private Compiled? _compiled;

    /// <summary>
    /// Whether the request path should keep the answer text: for deployments that estimate usage and routes that
    /// capture content. Asked after route resolution, once per request.
    /// </summary>
    public static bool WantsContent(RouteRuntime? route, DeploymentRuntime? deployment) =>
        deployment?.Config.Usage == UsageModes.Estimate || (route is not null && route.Config.Capture != CaptureModes.Off);

    /// <summary>The resolved price of a deployment in a snapshot.</summary>
    public DeploymentPrice PriceOf(GatewaySnapshot snapshot, string deployment)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return CompiledFor(snapshot).Prices.TryGetValue(deployment, out var price) ? price : DeploymentPrice.Unpriced;
    }

    /// <summary>Fills tokens (when missing), cost, content and end user into <paramref name="record"/>, then releases the request's prompt copy.</summary>
    public void Finish(RequestRecord record, ResponseFacts facts, ApiRequest? request, RouteRuntime? route, DeploymentRuntime? deployment, GatewaySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(snapshot);
        try
        {
            var compiled = CompiledFor(snapshot);
            var served = deployment is not null && request is not null && ReachedUpstream(record);
            if (served && facts.Usage is null)
            {
                var tokenizer = TokenCounter.For(deployment!.Config);
                record.PromptTokens = TokenCounter.CountPrompt(tokenizer, request!.PromptJson, record.Operation == "chat");
                record.CompletionTokens = facts.Content is { Length: > 0 } content ? TokenCounter.CountText(tokenizer, content.ToString()) : 0;
                record.CachedTokens = 0;
                record.ReasoningTokens = 0;
                record.TokensEstimated = true;
            }

            if (served && compiled.Prices.TryGetValue(deployment!.Name, out var price))
            {
                record.Cost = price.CostOf(record.PromptTokens, record.CachedTokens, record.CompletionTokens, record.ReasoningTokens);
            }

            var capture = route?.Config.Capture ?? CaptureModes.Off;
            if (capture != CaptureModes.Off && request is not null)
            {
                // The route's one vocabulary, shared with its pii rules (RoutePolicy). The prompt is JSON: its strings
                // are masked unescaped, as routing reads them.
                var personalData = capture == CaptureModes.Redacted ? PersonalDataDetector.ForRoute(route!.Config) : null;
                var prompt = request.PromptJson.IsEmpty ? null
                    : personalData?.MaskJson(request.PromptJson) ?? Encoding.UTF8.GetString(request.PromptJson);
                var answer = facts.Content?.ToString();
                record.PromptContent = Prepare(prompt, null);
                record.ResponseContent = Prepare(answer, personalData);
            }

            if (record.EndUser is { Length: > 0 } user && compiled.EndUserKey is { } key)
            {
                record.EndUser = HashEndUser(key, user);
            }
        }
        finally
        {
            request?.ReleasePromptJson();
        }
    }

    /// <summary>The stored form of a hashed end-user id: 32 hex digits of HMAC-SHA256 under the configured salt.</summary>
    public static string HashEndUser(byte[] key, string user)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(user);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(user), mac);
        return Convert.ToHexStringLower(mac[..16]);
    }

    private static bool ReachedUpstream(RequestRecord record)
    {
        foreach (var a in record.Attempts)
        {
            if (a.Status is >= 200 and < 300)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Content as a route keeps it: nothing (<c>capture: off</c>), masked with the route's personal-data vocabulary
    /// (<c>redacted</c>), or whole (<c>full</c>); long text is cut with a marker. Records and shadow samples both use it.
    /// </summary>
    internal static string? Capture(string? text, RouteConfig? route)
    {
        var capture = route?.Capture ?? CaptureModes.Off;
        return text is null || capture == CaptureModes.Off
            ? null
            : Prepare(text, capture == CaptureModes.Redacted ? PersonalDataDetector.ForRoute(route!) : null);
    }

    // Masked before it is cut, so that no value is cut in half and left unmasked.
    private static string? Prepare(string? text, PersonalDataDetector? personalData)
    {
        if (text is null)
        {
            return null;
        }

        text = personalData?.Mask(text) ?? text;
        return text.Length > MaxCapturedChars ? string.Concat(text.AsSpan(0, MaxCapturedChars), "…[truncated]") : text;
    }

    private Compiled CompiledFor(GatewaySnapshot snapshot)
    {
        var c = Volatile.Read(ref _compiled);
        if (c is not null && ReferenceEquals(c.Snapshot, snapshot))
        {
            return c;
        }

        var prices = new Dictionary<string, DeploymentPrice>(StringComparer.Ordinal);
        foreach (var d in snapshot.Config.Deployments)
        {
            prices[d.Name] = DeploymentPrice.For(d);
        }

        var storage = snapshot.Config.Storage;
        byte[]? key = null;
        if (storage.HashEndUsers)
        {
            var salt = storage.EndUserSaltEnv is null ? null : Environment.GetEnvironmentVariable(storage.EndUserSaltEnv);
            key = Encoding.UTF8.GetBytes(salt ?? "tandem-end-user");
        }

        c = new Compiled(snapshot, prices, key);
        Volatile.Write(ref _compiled, c);
        return c;
    }

    private sealed record Compiled(GatewaySnapshot Snapshot, Dictionary<string, DeploymentPrice> Prices, byte[]? EndUserKey);
}
