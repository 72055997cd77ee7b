using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Tandem.Costs;
using Tandem.Records;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Server.Proxy;

/// <summary>The state of one client request as it moves along the pipeline, and the record it fills.</summary>
internal sealed class Exchange
{
    public Exchange(HttpContext http, ApiOperation operation, GatewaySnapshot snapshot, long start, DateTimeOffset now)
    {
        Http = http;
        Operation = operation;
        Snapshot = snapshot;
        Start = start;
        RequestId = RequestIds.From(http.Request.Headers["x-request-id"]);
        Record = new RequestRecord
        {
            Id = RequestId,
            Time = now,
            Operation = operation switch
            {
                ApiOperation.ChatCompletions => "chat",
                ApiOperation.Completions => "completions",
                _ => "embeddings",
            },
        };
        Trace = new UpstreamTrace(Record.Attempts);
        Facts = new ResponseFacts { ContentWanted = () => RecordFinisher.WantsContent(Route, Deployment) };
    }

    public HttpContext Http { get; }

    public ApiOperation Operation { get; }

    public GatewaySnapshot Snapshot { get; }

    /// <summary>Stopwatch timestamp of arrival.</summary>
    public long Start { get; }

    public string RequestId { get; }

    public RequestRecord Record { get; }

    /// <summary>The upstream seam's account of the request's calls (tries go straight into the record).</summary>
    public UpstreamTrace Trace { get; }

    public ResponseFacts Facts { get; }

    public ApiRequest? Request { get; set; }

    public UpstreamRequest? Upstream { get; set; }

    public RouteRuntime? Route { get; set; }

    public DeploymentRuntime? Deployment { get; set; }

    /// <summary>The limits' verdict and reservation, when the caller has limits (settled when the request ends).</summary>
    public Tandem.Limits.LimitAdmission? Limits { get; set; }

    /// <summary>Stopwatch ticks spent waiting on the client (flushes).</summary>
    public long ClientWaitTicks { get; set; }

    /// <summary>Stopwatch ticks spent waiting on upstreams, judges included.</summary>
    public long UpstreamWaitTicks => Trace.WaitTicks;

    public bool IsEventStream { get; set; }

    /// <summary>
    /// Set once the last byte of the response was handed to the server: a client that goes away after that was
    /// served, and is recorded so (not as 499).
    /// </summary>
    public bool ResponseComplete { get; set; }

    /// <summary>Requests refused before a key was known are counted in metrics only by the access log.</summary>
    public bool Unrecorded { get; set; }

    /// <summary>The span of this request, when tracing listens.</summary>
    public Activity? Activity { get; set; }

    public void Fail(int status, string error)
    {
        Record.Status = status;
        Record.Error = error;
    }

    public void Succeed(int status)
    {
        Record.Status = status;
        Record.Error = null;
    }
}
