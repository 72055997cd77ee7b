using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Tandem.Storage;

namespace Tandem.Server.Endpoints;

/// <summary><c>POST /admin/records/erase</c>: removes one end user's rows from every table and answers with the counts before and after.</summary>
internal static partial class PrivacyEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;

    public static void Map(IEndpointRouteBuilder admin)
    {
        admin.MapPost("/records/erase", static (HttpContext ctx, StorageDatabase database, ILoggerFactory loggers) => EraseAsync(ctx, database, loggers));
    }

    private static async Task EraseAsync(HttpContext ctx, StorageDatabase database, ILoggerFactory loggers)
    {
        string? user = null;
        try
        {
            using var body = await JsonDocument.ParseAsync(new LimitedStream(ctx.Request.Body, MaxBodyBytes), cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.String)
            {
                user = u.GetString();
            }
        }
        catch (JsonException)
        {
        }
        catch (InvalidDataException)
        {
        }

        if (string.IsNullOrEmpty(user))
        {
            await JsonResponses.BadRequestAsync(ctx, "user", "Send {\"user\": \"ID\"}: the end-user id as clients send it in OpenAI's `user` field.").ConfigureAwait(false);
            return;
        }

        // A database that is down becomes a 503 in the admin group's filter.
        var result = await database.EraseEndUserAsync(user, ctx.RequestAborted).ConfigureAwait(false);
        // The id itself is personal data: the log says that an erasure happened and how much it removed, not whose.
        Erased(loggers.CreateLogger("Tandem.Privacy"), result.Before.Total, result.After.Total);
        await JsonResponses.WriteJsonAsync(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "erasure");
            WriteRows(w, "before", result.Before);
            WriteRows(w, "after", result.After);
            w.WriteBoolean("complete", result.After.Total == 0);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static void WriteRows(Utf8JsonWriter w, string name, EndUserRows rows)
    {
        w.WriteStartObject(name);
        w.WriteNumber("records", rows.Records);
        w.WriteNumber("attempts", rows.Attempts);
        w.WriteNumber("contents", rows.Contents);
        w.WriteNumber("feedback", rows.Feedback);
        w.WriteNumber("shadow_samples", rows.ShadowSamples);
        w.WriteNumber("dictionary", rows.DictionaryEntries);
        w.WriteNumber("total", rows.Total);
        w.WriteEndObject();
    }

    [LoggerMessage(EventId = Tandem.Telemetry.EventIds.EndUserErased, EventName = "EndUserErased", Level = LogLevel.Information, Message = "Erased one end user: {Before} rows referred to them, {After} remain")]
    private static partial void Erased(ILogger logger, long before, long after);

    /// <summary>Reads at most a bound of bytes, then fails as malformed input (an erase request is a few bytes).</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous reads are disabled");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _read += n;
            return _read > limit ? throw new InvalidDataException("request body too large") : n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
