using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Tandem.Configuration;
using Tandem.Wire;

namespace Tandem.Runtime;

/// <summary>
/// A provider ready to be called: a pooled <see cref="SocketsHttpHandler"/>, its credential header, extra headers,
/// timeouts and a concurrency limiter. Reused across configuration reloads while its settings are unchanged.
/// </summary>
public sealed class ProviderRuntime : IDisposable
{
    private readonly KeyValuePair<string, string>[] _headers;

    internal ProviderRuntime(ProviderConfig config)
    {
        Config = config;
        Name = config.Name;
        IsAzure = config.Type == ProviderTypes.AzureOpenAI;
        BaseUrl = config.BaseUrl.TrimEnd('/');
        ConfigFingerprint = Fingerprint(config);
        ConfigLoader.TryParseDuration(config.Timeouts.Connect, out var connect);
        ConfigLoader.TryParseDuration(config.Timeouts.FirstByte, out var firstByte);
        ConfigLoader.TryParseDuration(config.Timeouts.Total, out var total);
        ConnectTimeout = connect;
        FirstByteTimeout = firstByte;
        TotalTimeout = total;

        var headers = new List<KeyValuePair<string, string>>();
        if (config.ApiKeyEnv is not null && Environment.GetEnvironmentVariable(config.ApiKeyEnv) is { Length: > 0 } secret)
        {
            headers.Add(IsAzure ? new("api-key", secret) : new("Authorization", "Bearer " + secret));
        }

        headers.AddRange(config.Headers);
        _headers = [.. headers];

        // Pooled connections; no proxy, redirects, cookies or decompression: a gateway relays bytes as they are.
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = connect,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            EnableMultipleHttp2Connections = true,
            MaxConnectionsPerServer = int.MaxValue,
        };
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        Limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = config.MaxConcurrency,
            QueueLimit = config.MaxQueue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>The provider's configuration.</summary>
    public ProviderConfig Config { get; }

    /// <summary>The provider's name.</summary>
    public string Name { get; }

    /// <summary>Whether this is Azure OpenAI (deployment URLs, api-key header).</summary>
    public bool IsAzure { get; }

    /// <summary>The base URL without a trailing slash.</summary>
    public string BaseUrl { get; }

    /// <summary>Connect timeout.</summary>
    public TimeSpan ConnectTimeout { get; }

    /// <summary>Time allowed until response headers arrive.</summary>
    public TimeSpan FirstByteTimeout { get; }

    /// <summary>Time allowed for the whole exchange.</summary>
    public TimeSpan TotalTimeout { get; }

    /// <summary>The pooled HTTP invoker.</summary>
    public HttpMessageInvoker Invoker { get; }

    /// <summary>Bounds in-flight requests to the provider.</summary>
    public ConcurrencyLimiter Limiter { get; }

    internal string ConfigFingerprint { get; }

    /// <summary>Builds the upstream URL for an operation on a deployment.</summary>
    public Uri UriFor(ApiOperation operation, string upstreamModel)
    {
        var suffix = operation switch
        {
            ApiOperation.ChatCompletions => "chat/completions",
            ApiOperation.Completions => "completions",
            _ => "embeddings",
        };
        if (IsAzure)
        {
            return new Uri($"{BaseUrl}/openai/deployments/{Uri.EscapeDataString(upstreamModel)}/{suffix}?api-version={Uri.EscapeDataString(Config.ApiVersion ?? "")}");
        }

        return new Uri($"{BaseUrl}/{suffix}");
    }

    /// <summary>Adds the credential and configured headers to an upstream request.</summary>
    public void ApplyHeaders(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        foreach (var (name, value) in _headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Invoker.Dispose();
        Limiter.Dispose();
    }

    private static string Fingerprint(ProviderConfig config)
    {
        // The credential itself is part of the identity (a rotated key needs a new runtime), but only as a hash.
        var secret = config.ApiKeyEnv is null ? "" : Environment.GetEnvironmentVariable(config.ApiKeyEnv) ?? "";
        var secretHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)));
        return JsonSerializer.Serialize(config, ConfigJsonContext.Default.ProviderConfig) + secretHash;
    }
}
