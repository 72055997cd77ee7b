using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tandem.Buffers;
using Tandem.Configuration;
using Tandem.Feedback;
using Tandem.Privacy;
using Tandem.Records;
using Tandem.Server.Configuration;
using Tandem.Server.Endpoints;
using Tandem.Server.Proxy;
using Tandem.Storage;
using Tandem.Wire;

namespace Tandem.Server.Feedback;

/// <summary>
/// <c>POST /v1/feedback</c> (a gateway key rates its own requests) and <c>GET /admin/feedback/{requestId}</c>.
/// </summary>
/// <remarks>
/// A key may rate only requests it made: an unknown id and another key's id get the same 404, so that a key cannot
/// learn which ids exist. Feedback is stored beside the record, never in it. Text the client sends (correction,
/// messages, answer) is masked with the route's personal-data vocabulary unless the route captures content in full.
/// </remarks>
internal static class FeedbackEndpoints
{
    /// <summary>How long a rating of a just-served request waits for its record to reach the database.</summary>
    private static readonly TimeSpan RecordWait = TimeSpan.FromSeconds(10);

    /// <summary>How often a record not yet handed to the writer is looked for again.</summary>
    private static readonly TimeSpan RecordPoll = TimeSpan.FromMilliseconds(10);

    /// <summary>Requests started this recently may still be finishing (a long stream) or have their record in the writer's queue.</summary>
    private static readonly TimeSpan RecentWindow = TimeSpan.FromMinutes(15);

    public static void MapClient(IEndpointRouteBuilder v1) =>
        v1.MapPost("/feedback", static (HttpContext ctx, GatewayState state, IRecordStore records, IFeedbackStore feedback, RecordWriter writer, TimeProvider time) =>
            PostAsync(ctx, state, records, feedback, writer, time));

    public static void MapAdmin(IEndpointRouteBuilder admin) =>
        admin.MapGet("/feedback/{requestId}", static (HttpContext ctx, IRecordStore records, IFeedbackStore feedback) => GetAsync(ctx, records, feedback));

    private static async Task PostAsync(HttpContext ctx, GatewayState state, IRecordStore records, IFeedbackStore feedback, RecordWriter writer, TimeProvider time)
    {
        var snapshot = state.Current;
        var key = snapshot.Keys.Authenticate(RequestBody.PresentedKey(ctx.Request));
        if (key is null)
        {
            var missing = RequestBody.PresentedKey(ctx.Request).IsEmpty;
            await JsonResponses.ErrorAsync(ctx, 401, missing ? "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'." : "Incorrect API key provided.",
                ErrorTypes.InvalidRequest, null, "invalid_api_key").ConfigureAwait(false);
            return;
        }

        using var body = new PooledBufferWriter((int)Math.Clamp(ctx.Request.ContentLength ?? 1024, 256, 1 << 20));
        var limit = snapshot.Config.Server.MaxBodyBytes;
        if (!await RequestBody.ReadAsync(ctx, body, limit).ConfigureAwait(false))
        {
            await JsonResponses.ErrorAsync(ctx, 413, $"Request body exceeds the gateway's limit of {limit} bytes.", ErrorTypes.InvalidRequest, null, "request_too_large").ConfigureAwait(false);
            return;
        }

        var request = FeedbackRequest.Parse(body.WrittenSpan, out var problem);
        if (request is null)
        {
            await JsonResponses.ErrorAsync(ctx, problem.Status, problem.Message, ErrorTypes.InvalidRequest, problem.Param, problem.Code).ConfigureAwait(false);
            return;
        }

        try
        {
            var record = await FindAsync(records, writer, time, request.RequestId, ctx.RequestAborted).ConfigureAwait(false);
            if (record is null || record.Key != key.Name)
            {
                await JsonResponses.ErrorAsync(ctx, 404, $"No request '{request.RequestId}' of this key to rate (unknown, another key's, or past retention).",
                    ErrorTypes.InvalidRequest, "request_id", "request_not_found").ConfigureAwait(false);
                return;
            }

            var route = record.Route is { } r && snapshot.Routes.TryGetValue(r, out var rt) ? rt.Config : null;
            var mask = MaskFor(route);
            // The record's own capture is the conversation when it has one; the client's copy stands in only when not.
            var keepClientContent = record.PromptContent is null;
            var stored = await feedback.AddAsync(new FeedbackEntry
            {
                RequestId = record.Id,
                Time = time.GetUtcNow(),
                Author = key.Name,
                Route = record.Route,
                Deployment = record.Deployment,
                Scale = request.Scale,
                Rating = request.Rating,
                Correction = Mask(mask, request.Correction),
                Comment = Mask(mask, request.Comment),
                EndUser = request.User,
                Tags = request.Tags,
                Messages = keepClientContent && request.MessagesJson is { } m ? (mask?.MaskJson(System.Text.Encoding.UTF8.GetBytes(m)) ?? m) : null,
                Answer = keepClientContent || record.ResponseContent is null ? Mask(mask, request.Answer) : null,
            }, ctx.RequestAborted).ConfigureAwait(false);

            await JsonResponses.WriteJsonAsync(ctx, 201, w =>
            {
                w.WriteStartObject();
                WriteEntry(w, stored);
                w.WriteEndObject();
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageErrors.IsUnavailable(e) && !ctx.Response.HasStarted)
        {
            await JsonResponses.StorageUnavailableAsync(ctx, e).ConfigureAwait(false);
        }
    }

    private static PersonalDataDetector? MaskFor(RouteConfig? route) => route?.Capture switch
    {
        CaptureModes.Full => null,
        _ when route is not null => PersonalDataDetector.ForRoute(route),
        _ => PersonalDataDetector.Default,
    };

    private static string? Mask(PersonalDataDetector? detector, string? text) => text is null || detector is null ? text : detector.Mask(text);

    /// <summary>
    /// The record of a request. A client may rate an answer the moment it has it: its record is handed to the
    /// background writer just after the last byte, and written in the next batch. So a miss on an id Tandem issued
    /// (<c>req_</c> + a version-7 GUID, whose first 48 bits are its time) for a request of the last few minutes waits,
    /// bounded, for the record to arrive; any other miss answers at once.
    /// </summary>
    private static async Task<RequestRecord?> FindAsync(IRecordStore records, RecordWriter writer, TimeProvider time, string requestId, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + RecordWait;
        while (true)
        {
            var record = await records.GetAsync(requestId, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            if (record is not null || now > deadline || !IssuedRecently(requestId, now))
            {
                return record;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(RecordWait);
            try
            {
                if (writer.Held > 0)
                {
                    await writer.WaitUntilIdleAsync(wait.Token).ConfigureAwait(false);
                }
                else
                {
                    // Not yet handed over (the response's last byte is sent before the record is finished).
                    await Task.Delay(RecordPoll, time, wait.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The deadline is checked above.
            }
        }
    }

    /// <summary>Whether <paramref name="requestId"/> is an id Tandem made for a request started within <see cref="RecentWindow"/>.</summary>
    internal static bool IssuedRecently(string requestId, DateTimeOffset now)
    {
        if (requestId.Length != 36 || !requestId.StartsWith("req_", StringComparison.Ordinal) || !Guid.TryParseExact(requestId.AsSpan(4), "N", out var guid) || guid.Version != 7)
        {
            return false;
        }

        var issued = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(requestId.AsSpan(4, 12), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture));
        return issued <= now + TimeSpan.FromSeconds(5) && now - issued < RecentWindow;
    }

    private static async Task GetAsync(HttpContext ctx, IRecordStore records, IFeedbackStore feedback)
    {
        var id = (string)ctx.Request.RouteValues["requestId"]!;
        var entries = await feedback.ForRequestAsync(id, ctx.RequestAborted).ConfigureAwait(false);
        if (entries.Count == 0 && await records.GetAsync(id, ctx.RequestAborted).ConfigureAwait(false) is null)
        {
            await JsonResponses.ErrorAsync(ctx, 404, $"No record of request '{id}' and no feedback on it.", ErrorTypes.InvalidRequest, "requestId", "request_not_found").ConfigureAwait(false);
            return;
        }

        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("request_id", id);
            w.WriteStartArray("feedback");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                WriteEntry(w, e);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static void WriteEntry(Utf8JsonWriter w, FeedbackEntry e)
    {
        w.WriteString("id", "fb_" + e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("object", "feedback");
        w.WriteString("request_id", e.RequestId);
        w.WriteNumber("created", e.Time.ToUnixTimeSeconds());
        w.WriteString("author", e.Author);
        Nullable(w, "route", e.Route);
        Nullable(w, "deployment", e.Deployment);
        switch (e.Scale)
        {
            case RatingScale.Thumbs:
                w.WriteString("rating", e.Rating == 1 ? "up" : "down");
                break;
            case RatingScale.Stars:
                w.WriteNumber("rating", e.Rating!.Value);
                break;
            default:
                w.WriteNull("rating");
                break;
        }

        if (e.Score is int score)
        {
            w.WriteNumber("score", score);
        }
        else
        {
            w.WriteNull("score");
        }

        Nullable(w, "correction", e.Correction);
        Nullable(w, "comment", e.Comment);
        Nullable(w, "user", e.EndUser);
        w.WriteStartObject("tags");
        foreach (var (k, v) in e.Tags ?? new Dictionary<string, string>())
        {
            w.WriteString(k, v);
        }

        w.WriteEndObject();
        w.WriteBoolean("has_messages", e.Messages is not null);
        w.WriteBoolean("has_answer", e.Answer is not null);
    }

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
