using System.Net.Http.Headers;
using System.Text.Json;
using Tandem.Upstream;

namespace Tandem.Adapters;

/// <summary>What a replica answered to a load or unload.</summary>
/// <param name="Succeeded">Whether the replica did it (or had it done already).</param>
/// <param name="Status">The HTTP status (0 when it could not be reached).</param>
/// <param name="Message">The replica's message, or why it could not be reached.</param>
public readonly record struct LoraCallResult(bool Succeeded, int Status, string Message);

/// <summary>
/// vLLM's runtime LoRA API on one replica of a provider (the server runs with
/// <c>VLLM_ALLOW_RUNTIME_LORA_UPDATING=True</c>): <c>POST {base}/load_lora_adapter</c> with <c>lora_name</c> and
/// <c>lora_path</c>, <c>POST {base}/unload_lora_adapter</c> with <c>lora_name</c>, and <c>GET {base}/models</c>, which
/// lists loaded adapters beside the base model.
/// </summary>
public static class LoraRuntimeClient
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Loads an adapter onto one replica; an adapter already loaded under that name counts as loaded.</summary>
    public static async Task<LoraCallResult> LoadAsync(ProviderRuntime provider, UpstreamEndpoint endpoint, string name, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(endpoint);
        var result = await PostAsync(provider, endpoint, "load_lora_adapter", w =>
        {
            w.WriteString("lora_name", name);
            w.WriteString("lora_path", path);
        }, cancellationToken).ConfigureAwait(false);
        // vLLM answers 400 "has already been loaded" to a second load of one name.
        return !result.Succeeded && result.Status == 400 && result.Message.Contains("already been loaded", StringComparison.OrdinalIgnoreCase)
            ? result with { Succeeded = true }
            : result;
    }

    /// <summary>Unloads an adapter from one replica; an adapter the replica does not have counts as unloaded.</summary>
    public static async Task<LoraCallResult> UnloadAsync(ProviderRuntime provider, UpstreamEndpoint endpoint, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(endpoint);
        var result = await PostAsync(provider, endpoint, "unload_lora_adapter", w => w.WriteString("lora_name", name), cancellationToken).ConfigureAwait(false);
        return !result.Succeeded && result.Status is 400 or 404 && result.Message.Contains("cannot be found", StringComparison.OrdinalIgnoreCase)
            ? result with { Succeeded = true }
            : result;
    }

    /// <summary>The model ids a replica serves (base models and loaded adapters); null when it cannot be asked.</summary>
    public static async Task<IReadOnlySet<string>?> ModelsAsync(ProviderRuntime provider, UpstreamEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(endpoint);
        using var request = Message(provider, HttpMethod.Get, endpoint.BaseUrl + "/models");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CallTimeout);
        try
        {
            using var response = await provider.Invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false), cancellationToken: timeout.Token).ConfigureAwait(false);
            var ids = new HashSet<string>(StringComparer.Ordinal);
            if (doc.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
            {
                foreach (var m in data.EnumerateArray())
                {
                    if (m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                    {
                        ids.Add(id.GetString()!);
                    }
                }
            }

            return ids;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    private static async Task<LoraCallResult> PostAsync(ProviderRuntime provider, UpstreamEndpoint endpoint, string path, Action<Utf8JsonWriter> body, CancellationToken cancellationToken)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        using var request = Message(provider, HttpMethod.Post, endpoint.BaseUrl + "/" + path);
        request.Content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CallTimeout);
        try
        {
            using var response = await provider.Invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            return new LoraCallResult(response.IsSuccessStatusCode, (int)response.StatusCode, MessageOf(text));
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new LoraCallResult(false, 0, $"{endpoint.BaseUrl} cannot be reached: {e.Message}");
        }
    }

    private static HttpRequestMessage Message(ProviderRuntime provider, HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, new Uri(url));
        if (provider.Credential is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        foreach (var (name, value) in provider.Config.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    /// <summary>The message of an OpenAI-shaped error body (vLLM's), else the text itself, cut to 500 characters.</summary>
    private static string MessageOf(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    return m.GetString()!;
                }

                if (doc.RootElement.TryGetProperty("message", out var top) && top.ValueKind == JsonValueKind.String)
                {
                    return top.GetString()!;
                }
            }
        }
        catch (JsonException)
        {
            // Plain text ("Success: LoRA adapter 'x' added successfully.").
        }

        return text.Length > 500 ? text[..500] : text;
    }
}
