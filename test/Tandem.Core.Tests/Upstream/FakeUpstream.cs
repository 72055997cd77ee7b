using System.Net;
using System.Text;
using Tandem.Configuration;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// A snapshot whose providers answer from a script instead of sockets (a lambda handler per provider), so that the
/// seam and the fallback chain run without Kestrel.
/// </summary>
internal sealed class FakeUpstream
{
    private readonly Dictionary<string, Func<HttpRequestMessage, int, Task<HttpResponseMessage>>> _scripts = [];
    private readonly Dictionary<string, int> _calls = [];

    public int Calls(string provider) => _calls.GetValueOrDefault(provider);

    /// <summary>Sets what provider <paramref name="name"/> answers; the int is the call's index (0-based).</summary>
    public void Script(string name, Func<HttpRequestMessage, int, Task<HttpResponseMessage>> script) => _scripts[name] = script;

    public void Script(string name, Func<int, HttpResponseMessage> script) => _scripts[name] = (_, i) => Task.FromResult(script(i));

    public GatewaySnapshot Build(string yaml, Tandem.Providers.ProviderAdapters? adapters = null, TimeProvider? time = null)
    {
        adapters ??= Tandem.Providers.ProviderAdapters.BuiltIn;
        return GatewaySnapshot.Build(ConfigLoader.Parse(yaml, ConfigUse.Gateway, adapters.Types), null, new RuntimeServices
        {
            HttpHandler = config => new Handler(this, config.Name),
            Random = RandomSource.Seeded(1),
            Adapters = adapters,
            Time = time ?? TimeProvider.System,
        });
    }

    public static HttpResponseMessage Json(int status, string body, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    public static HttpResponseMessage Ok(string text = "hello") =>
        Json(200, "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + text
            + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}");

    public static UpstreamRequest Chat(bool stream = false) =>
        UpstreamRequest.Parse(ApiOperation.ChatCompletions, Encoding.UTF8.GetBytes($$"""{"model":"r","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}"""), UpstreamPurpose.Client, "req-1");

    private sealed class Handler(FakeUpstream owner, string provider) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            int call;
            lock (owner._calls)
            {
                call = owner._calls.GetValueOrDefault(provider);
                owner._calls[provider] = call + 1;
            }

            return owner._scripts[provider](request, call).WaitAsync(cancellationToken);
        }
    }
}

/// <summary>A body that yields some bytes and then breaks, like a connection cut mid-answer.</summary>
internal sealed class BreakingStream(byte[] start) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position >= start.Length)
        {
            throw new IOException("connection reset by peer");
        }

        var n = Math.Min(count, start.Length - _position);
        Array.Copy(start, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
