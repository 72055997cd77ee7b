using System.Net.Http.Headers;

namespace Tandem.Upstream;

/// <summary>
/// The upstream response headers a client should see through Tandem: rate-limit state (<c>x-ratelimit-*</c>, and
/// Anthropic's <c>anthropic-ratelimit-*</c> as they are),
/// processing time, <c>Retry-After</c>, and the upstream's request id (as <c>x-upstream-request-id</c>, since
/// <c>x-request-id</c> is Tandem's own). Everything else (cookies, server, connection headers) stays behind.
/// </summary>
public static class RelayedHeaders
{
    /// <summary>The headers to relay, with the names the client sees.</summary>
    public static KeyValuePair<string, string>[] From(HttpResponseHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        List<KeyValuePair<string, string>>? relayed = null;
        foreach (var (name, values) in headers.NonValidated)
        {
            if (RelayedName(name) is { } as_)
            {
                (relayed ??= []).Add(new(as_, values.ToString()));
            }
        }

        return relayed is null ? [] : [.. relayed];
    }

    /// <summary>The name a relayed header gets, or null when it is not relayed.</summary>
    public static string? RelayedName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("anthropic-ratelimit-", StringComparison.OrdinalIgnoreCase)
            || name.Equals("openai-processing-ms", StringComparison.OrdinalIgnoreCase)
            || name.Equals("retry-after", StringComparison.OrdinalIgnoreCase)
            || name.Equals("retry-after-ms", StringComparison.OrdinalIgnoreCase))
        {
            return name;
        }

        return name.Equals("x-request-id", StringComparison.OrdinalIgnoreCase) ? "x-upstream-request-id" : null;
    }
}
