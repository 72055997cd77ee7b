using System.Buffers;
using System.Text.Json;
using Tandem.Runtime;
using Tandem.Upstream;

namespace Tandem.Quality;

/// <summary>Sends one chat completion request body and returns the buffered reply (retries, if any, are the sender's).</summary>
public delegate Task<UpstreamReply> ChatSender(ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

/// <summary>Settings of an <see cref="LlmJudge"/>.</summary>
public sealed record JudgeOptions
{
    /// <summary>Rubric used when a request carries none; null uses <see cref="JudgePrompts.DefaultRubric"/>.</summary>
    public string? Rubric { get; init; }

    /// <summary>
    /// Ask for <c>response_format: {"type":"json_object"}</c>. When the provider refuses it (HTTP 400), the judge
    /// asks again without it and stops sending it; its verdicts are then read from free text.
    /// </summary>
    public bool JsonMode { get; init; } = true;

    /// <summary>Judge sampling temperature (0: as repeatable as the provider allows).</summary>
    public double Temperature { get; init; }

    /// <summary>Upper bound on the judge's verdict length.</summary>
    public int MaxTokens { get; init; } = 400;
}

/// <summary>An <see cref="IAnswerJudge"/> that asks a judge deployment with Tandem's prompts.</summary>
public sealed class LlmJudge : IAnswerJudge
{
    private readonly ChatSender _send;
    private readonly JudgeOptions _options;
    private volatile bool _jsonModeRefused;

    /// <summary>Creates a judge that sends through <paramref name="send"/>.</summary>
    public LlmJudge(ChatSender send, JudgeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        _send = send;
        _options = options ?? new JudgeOptions();
    }

    /// <summary>A judge calling <paramref name="deployment"/> through its upstream seam (its limiter, retries and breaker).</summary>
    public static LlmJudge ForDeployment(DeploymentRuntime deployment, JudgeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return new LlmJudge((body, ct) => deployment.Invoker.CompleteChatAsync(body, UpstreamPurpose.Judge, ct), options);
    }

    /// <inheritdoc />
    public async ValueTask<JudgeScore> ScoreAsync(JudgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rubric = request.Rubric ?? _options.Rubric;
        var reply = await AskAsync(JudgePrompts.Single(request with { Rubric = rubric }), cancellationToken).ConfigureAwait(false);
        if (!reply.IsSuccess)
        {
            return new JudgeScore(JudgeOutcome.Failed, null, null, reply.Content, reply.Facts.Usage, reply.Error ?? "judge call failed");
        }

        var text = reply.Content;
        return JudgeVerdictParser.TryParseScore(text, out var score, out var reasons)
            ? new JudgeScore(JudgeOutcome.Scored, score, reasons, text, reply.Facts.Usage)
            : new JudgeScore(JudgeOutcome.Unparseable, null, null, text, reply.Facts.Usage);
    }

    /// <inheritdoc />
    public async ValueTask<PairwiseVerdict> CompareAsync(PairwiseRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var r = request with { Rubric = request.Rubric ?? _options.Rubric };
        var firstAsA = AskAsync(JudgePrompts.Pairwise(r, r.First, r.Second), cancellationToken);
        var secondAsA = AskAsync(JudgePrompts.Pairwise(r, r.Second, r.First), cancellationToken);
        var one = await firstAsA.ConfigureAwait(false);
        var two = await secondAsA.ConfigureAwait(false);
        if (!one.IsSuccess || !two.IsSuccess)
        {
            return new PairwiseVerdict(PairwiseWinner.Failed, one.Content, two.Content, one.Error ?? two.Error);
        }

        if (!JudgeVerdictParser.TryParseWinner(one.Content, out var w1, out var why1)
            || !JudgeVerdictParser.TryParseWinner(two.Content, out var w2, out var why2))
        {
            return new PairwiseVerdict(PairwiseWinner.Unparseable, one.Content, two.Content, null);
        }

        // Order 1 shows First as A; order 2 shows Second as A. Map both to First/Second/Tie.
        var v1 = w1 switch { 'A' => PairwiseWinner.First, 'B' => PairwiseWinner.Second, _ => PairwiseWinner.Tie };
        var v2 = w2 switch { 'A' => PairwiseWinner.Second, 'B' => PairwiseWinner.First, _ => PairwiseWinner.Tie };
        var winner = v1 == v2 ? v1 : PairwiseWinner.Inconsistent;
        return new PairwiseVerdict(winner, one.Content, two.Content, string.Join(" | ", new[] { why1, why2 }.Where(s => !string.IsNullOrEmpty(s))));
    }

    private async Task<UpstreamReply> AskAsync(IReadOnlyList<ChatTurn> messages, CancellationToken cancellationToken)
    {
        var jsonMode = _options.JsonMode && !_jsonModeRefused;
        var reply = await _send(Body(messages, jsonMode), cancellationToken).ConfigureAwait(false);
        if (jsonMode && reply.Status == 400)
        {
            // Some OpenAI-compatible servers reject response_format; ask in plain text and read JSON from it.
            _jsonModeRefused = true;
            reply = await _send(Body(messages, jsonMode: false), cancellationToken).ConfigureAwait(false);
        }

        return reply;
    }

    private ReadOnlyMemory<byte> Body(IReadOnlyList<ChatTurn> messages, bool jsonMode)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", "judge");
            w.WritePropertyName("messages");
            ChatTurn.WriteMessages(w, messages);
            w.WriteNumber("temperature", _options.Temperature);
            w.WriteNumber("max_tokens", _options.MaxTokens);
            if (jsonMode)
            {
                w.WriteStartObject("response_format");
                w.WriteString("type", "json_object");
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
