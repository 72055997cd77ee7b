using Tandem.Wire;

namespace Tandem.Routing;

/// <summary>
/// The small view of a request that routing policies decide from: key, user, tags, features, size, and the
/// text (extracted only if a policy asks for it). No HTTP types, so policies are testable alone.
/// </summary>
public sealed class RequestView
{
    private readonly ReadOnlyMemory<byte> _body;
    private readonly Func<string, string?> _header;
    private string? _text;

    /// <summary>Creates a view over a parsed request.</summary>
    public RequestView(ApiRequest request, ReadOnlyMemory<byte> body, string keyName, Func<string, string?>? header = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        Request = request;
        _body = body;
        KeyName = keyName;
        _header = header ?? (static _ => null);
    }

    /// <summary>Creates a view from plain values (tests, offline tools).</summary>
    public static RequestView For(string body, string keyName = "test", IReadOnlyDictionary<string, string>? headers = null)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        var request = ApiRequest.Parse(bytes, ApiOperation.ChatCompletions, out var problem) ?? throw new ArgumentException(problem.Message, nameof(body));
        return new RequestView(request, bytes, keyName, name => headers is not null && headers.TryGetValue(name, out var v) ? v : null);
    }

    /// <summary>The parsed request.</summary>
    public ApiRequest Request { get; }

    /// <summary>The gateway key's name.</summary>
    public string KeyName { get; }

    /// <summary>The OpenAI <c>user</c> field.</summary>
    public string? User => Request.User;

    /// <summary>The request's <c>metadata</c> strings.</summary>
    public IReadOnlyDictionary<string, string>? Metadata => Request.Metadata;

    /// <summary>Whether tools are offered.</summary>
    public bool HasTools => Request.HasTools;

    /// <summary>Whether images are attached.</summary>
    public bool HasImages => Request.HasImages;

    /// <summary>The response format type, when set.</summary>
    public string? ResponseFormat => Request.ResponseFormat;

    /// <summary>Whether the client asked for a stream.</summary>
    public bool Stream => Request.Stream;

    /// <summary>Number of user turns.</summary>
    public int UserTurns => Request.UserTurns;

    /// <summary>Estimated prompt tokens.</summary>
    public int EstimatedPromptTokens => Request.EstimatedPromptTokens;

    /// <summary>The text of the messages, extracted on first use.</summary>
    public string Text => _text ??= ApiRequest.ExtractText(_body.Span);

    /// <summary>A request header's value.</summary>
    public string? Header(string name) => _header(name);
}
