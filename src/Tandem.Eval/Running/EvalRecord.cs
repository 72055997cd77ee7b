using System.Text.Json.Serialization;

namespace Tandem.Eval.Running;

/// <summary>
/// One stored result: a deployment's answer to a case (kind <c>answer</c>) or a pairwise judgement of a
/// candidate against the baseline (kind <c>pairwise</c>). One JSON line each in <c>results.jsonl</c>.
/// </summary>
public sealed record EvalRecord
{
    /// <summary>Kind of an answer record.</summary>
    public const string AnswerKind = "answer";

    /// <summary>Kind of a pairwise record.</summary>
    public const string PairwiseKind = "pairwise";

    /// <summary><see cref="AnswerKind"/> or <see cref="PairwiseKind"/>.</summary>
    public string Kind { get; set; } = AnswerKind;

    /// <summary>The case.</summary>
    public string CaseId { get; set; } = "";

    /// <summary>The deployment that answered (pairwise: the candidate).</summary>
    public string Deployment { get; set; } = "";

    /// <summary>Pairwise only: the baseline compared against.</summary>
    public string? Baseline { get; set; }

    /// <summary>Whether the result is final. Failed ones (after retries) are tried again by the next run.</summary>
    public bool Ok { get; set; }

    /// <summary>Why it failed.</summary>
    public string? Error { get; set; }

    /// <summary>Calls made, retries included.</summary>
    public int Attempts { get; set; }

    /// <summary>The answer's text.</summary>
    public string? Answer { get; set; }

    /// <summary>The label read from the answer (classification).</summary>
    public string? Predicted { get; set; }

    /// <summary>Whether the answer met the expectation (classification, extraction); null for generation.</summary>
    public bool? Correct { get; set; }

    /// <summary>Whether the answer was not a valid output at all (no known label, no JSON object).</summary>
    public bool Invalid { get; set; }

    /// <summary>Time of the successful call, in milliseconds.</summary>
    public double LatencyMs { get; set; }

    /// <summary>Prompt tokens the deployment reported.</summary>
    public int PromptTokens { get; set; }

    /// <summary>Completion tokens the deployment reported.</summary>
    public int CompletionTokens { get; set; }

    /// <summary>Whether the deployment reported usage at all.</summary>
    public bool UsageReported { get; set; }

    /// <summary>The judge's score, 1–5, when it gave a readable one.</summary>
    public int? JudgeScore { get; set; }

    /// <summary><c>scored</c>, <c>unparseable</c> or <c>failed</c>; null when the case was not judged.</summary>
    public string? JudgeOutcome { get; set; }

    /// <summary>The judge's reasons.</summary>
    public string? JudgeReasons { get; set; }

    /// <summary>The judge's text when it could not be read (kept for audit).</summary>
    public string? JudgeRaw { get; set; }

    /// <summary>Pairwise: <c>candidate</c>, <c>baseline</c>, <c>tie</c>, <c>inconsistent</c>, <c>unparseable</c>, <c>failed</c>.</summary>
    public string? Winner { get; set; }

    /// <summary>Tokens the judge used for this record.</summary>
    public int JudgeTokens { get; set; }

    /// <summary>The key under which a later record replaces this one.</summary>
    [JsonIgnore]
    public string Key => Kind + "\u001f" + CaseId + "\u001f" + Deployment + "\u001f" + (Baseline ?? "");
}
