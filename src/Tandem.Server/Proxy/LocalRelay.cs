using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Tandem.Buffers;
using Tandem.Costs;
using Tandem.Routing;

namespace Tandem.Server.Proxy;

/// <summary>
/// Answers a request from the route's local stage: an OpenAI chat completion (or its stream of chunks) whose content
/// is the classifier's label in the route's format. The record names deployment <c>local:NAME</c>; it costs nothing,
/// and its tokens are estimated with the route's incumbent's tokenizer so that cost reports show what the LLM would
/// have cost (the baseline) beside the zero spent.
/// </summary>
/// <remarks>
/// <code>
///   record: deployment local:NAME, decision, estimated tokens ─► body (JSON, or SSE: role, content, stop, [usage], [DONE])
///   ─► facts read from the body as from an upstream's (content for capture, usage) ─► one write, one flush
/// </code>
/// </remarks>
internal static class LocalRelay
{
    public static async Task RelayAsync(Exchange x, LocalStage local, string label)
    {
        var request = x.Request!;
        var record = x.Record;
        record.Deployment = local.Deployment;
        var content = local.Content(label);
        var tokenizer = TokenCounter.For(x.Route!.Incumbent.Config);
        var promptTokens = TokenCounter.CountPrompt(tokenizer, request.PromptJson, chat: true);
        var completionTokens = TokenCounter.CountText(tokenizer, content);
        record.TokensEstimated = true;
        var id = "chatcmpl-" + x.RequestId;
        var created = record.Time.ToUnixTimeSeconds();

        // The model that answered is the local one: the answer's model is local:NAME and its fingerprint the classifier's
        // version, so the drift watch sees a retrained classifier as a change of this deployment, and nothing else.
        var answer = new LocalAnswer(id, created, local.Deployment, local.ModelVersion, content, promptTokens, completionTokens);

        using var body = new PooledBufferWriter(512 + (content.Length * 2));
        var response = x.Http.Response;
        ProxyResponses.Prepare(x, 200);
        response.Headers["x-tandem-deployment"] = local.Deployment;
        if (request.Stream)
        {
            x.IsEventStream = true;
            answer.WriteStream(body, request.ClientWantsUsage);
            x.Facts.Usage = new Wire.TokenUsage { PromptTokens = promptTokens, CompletionTokens = completionTokens };
            x.Facts.FinishReason = "stop";
            x.Facts.Model = local.Deployment;
            x.Facts.SystemFingerprint = answer.Fingerprint;
            if (x.Facts.ContentWanted?.Invoke() == true)
            {
                (x.Facts.Content ??= new StringBuilder()).Append(content);
            }

            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            x.Http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        }
        else
        {
            answer.WriteJson(body);
            x.Facts.Read(body.WrittenSpan);
            response.ContentType = "application/json";
            response.ContentLength = body.WrittenCount;
        }

        ProxyResponses.Write(response.BodyWriter, body.WrittenSpan);
        x.Succeed(200);
        x.ResponseComplete = true;
        await ProxyResponses.FlushAsync(x, response.BodyWriter, x.Http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The fields of a local answer, written in OpenAI's shapes.</summary>
    private sealed record LocalAnswer(string Id, long Created, string Model, string Fingerprint, string Content, int PromptTokens, int CompletionTokens)
    {
        public void WriteJson(PooledBufferWriter output)
        {
            using var w = new Utf8JsonWriter(output);
            w.WriteStartObject();
            Head(w, "chat.completion");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", Content);
            w.WriteNull("refusal");
            w.WriteEndObject();
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", "stop");
            w.WriteEndObject();
            w.WriteEndArray();
            Usage(w);
            w.WriteEndObject();
        }

        public void WriteStream(PooledBufferWriter output, bool includeUsage)
        {
            Chunk(output, w => Delta(w, role: true, content: ""), finish: null, usage: false, includeUsage);
            Chunk(output, w => Delta(w, role: false, Content), finish: null, usage: false, includeUsage);
            Chunk(output, w => Delta(w, role: false, null), finish: "stop", usage: false, includeUsage);
            if (includeUsage)
            {
                Chunk(output, null, finish: null, usage: true, includeUsage);
            }

            output.Write("data: [DONE]\n\n"u8);
        }

        private static void Delta(Utf8JsonWriter w, bool role, string? content)
        {
            w.WriteStartObject("delta");
            if (role)
            {
                w.WriteString("role", "assistant");
            }

            if (content is not null)
            {
                w.WriteString("content", content);
            }

            w.WriteEndObject();
        }

        /// <summary>One <c>data:</c> event: a choice with a delta, or (the usage chunk) no choice and the usage.</summary>
        private void Chunk(PooledBufferWriter output, Action<Utf8JsonWriter>? delta, string? finish, bool usage, bool includeUsage)
        {
            output.Write("data: "u8);
            using (var w = new Utf8JsonWriter(output))
            {
                w.WriteStartObject();
                Head(w, "chat.completion.chunk");
                w.WriteStartArray("choices");
                if (delta is not null)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", 0);
                    delta(w);
                    w.WriteNull("logprobs");
                    if (finish is null)
                    {
                        w.WriteNull("finish_reason");
                    }
                    else
                    {
                        w.WriteString("finish_reason", finish);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                if (usage)
                {
                    Usage(w);
                }
                else if (includeUsage)
                {
                    // OpenAI sends "usage": null on every chunk but the last when the client asked for usage.
                    w.WriteNull("usage");
                }

                w.WriteEndObject();
            }

            output.Write("\n\n"u8);
        }

        private void Head(Utf8JsonWriter w, string type)
        {
            w.WriteString("id", Id);
            w.WriteString("object", type);
            w.WriteNumber("created", Created);
            w.WriteString("model", Model);
            w.WriteString("system_fingerprint", Fingerprint);
        }

        private void Usage(Utf8JsonWriter w)
        {
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", PromptTokens);
            w.WriteNumber("completion_tokens", CompletionTokens);
            w.WriteNumber("total_tokens", PromptTokens + CompletionTokens);
            w.WriteEndObject();
        }
    }
}
