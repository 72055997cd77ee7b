using System.Diagnostics;
using System.Text;
using Tandem.Records;
using Tandem.Wire;

namespace Tandem.Upstream;

/// <summary>Who makes an upstream call; the seam treats them alike and tells the upstream (and traces) which it is.</summary>
public enum UpstreamPurpose
{
    /// <summary>A client's request through the gateway (or the in-process client).</summary>
    Client,

    /// <summary>A migration's shadow call to the other side, off the client's path.</summary>
    Shadow,

    /// <summary>A judge scoring an answer.</summary>
    Judge,

    /// <summary>Escalation of a weak answer to a stronger deployment.</summary>
    Escalation,

    /// <summary>An evaluation run.</summary>
    Eval,
}

/// <summary>
/// One request to send to deployments: the client's (or a caller's) OpenAI body as received, parsed once. The same
/// request may be sent to several deployments in turn (fallback); each adapter writes its own upstream body from it.
/// </summary>
public sealed class UpstreamRequest
{
    /// <summary>Creates a request from a parsed body and the bytes it was parsed from.</summary>
    public UpstreamRequest(ApiOperation operation, ApiRequest api, ReadOnlyMemory<byte> body, UpstreamPurpose purpose = UpstreamPurpose.Client, string? requestId = null, UpstreamTrace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        Trace = trace ?? new UpstreamTrace();
        Operation = operation;
        Api = api;
        Body = body;
        Purpose = purpose;
        RequestId = requestId;
    }

    /// <summary>Parses <paramref name="body"/> (an OpenAI request) into a request for an off-path caller.</summary>
    /// <exception cref="ArgumentException">The body is not a valid request for the operation.</exception>
    public static UpstreamRequest Parse(ApiOperation operation, ReadOnlyMemory<byte> body, UpstreamPurpose purpose, string? requestId = null)
    {
        var api = ApiRequest.Parse(body.Span, operation, out var problem)
            ?? throw new ArgumentException("not a valid request: " + problem.Message, nameof(body));
        return new UpstreamRequest(operation, api, body, purpose, requestId);
    }

    /// <summary>The operation.</summary>
    public ApiOperation Operation { get; }

    /// <summary>The parsed request (model, stream flag, prompt size…).</summary>
    public ApiRequest Api { get; }

    /// <summary>The request body as received (OpenAI JSON).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Whether the answer is to be streamed.</summary>
    public bool Stream => Api.Stream;

    /// <summary>Who calls.</summary>
    public UpstreamPurpose Purpose { get; }

    /// <summary>The gateway request id, sent upstream as <c>x-request-id</c>.</summary>
    public string? RequestId { get; }

    /// <summary>What happened to the request's calls: attempts, time waited upstream, fallback notes.</summary>
    public UpstreamTrace Trace { get; }
}

/// <summary>
/// What the seam observed while serving one request, for its record: every try of every deployment, the time spent
/// waiting on upstreams (limiter queues included), and the fallback steps taken.
/// </summary>
public sealed class UpstreamTrace
{
    private StringBuilder? _notes;

    /// <summary>Creates a trace that adds tries to <paramref name="attempts"/> (a record's list), or to a list of its own.</summary>
    public UpstreamTrace(List<AttemptRecord>? attempts = null) => Attempts = attempts ?? new(1);

    /// <summary>Every try, in order.</summary>
    public List<AttemptRecord> Attempts { get; }

    /// <summary>Stopwatch ticks spent waiting on upstreams (sends, reads, limiter queues).</summary>
    public long WaitTicks { get; set; }

    /// <summary>Stopwatch timestamp of the first send (0 before); the total timeout counts from here.</summary>
    public long FirstSend { get; set; }

    /// <summary>Fallback steps, e.g. <c>; fallback: llama 503 -> gpt</c>; empty when none.</summary>
    public string Notes => _notes?.ToString() ?? "";

    /// <summary>Adds a note to the decision.</summary>
    public void Note(string note) => (_notes ??= new StringBuilder()).Append(note);

    internal void Attempt(string deployment, int status, string? error, long startedAt) =>
        Attempts.Add(new AttemptRecord(deployment, status, error, Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds));
}
