namespace Tandem.Configuration;

/// <summary>
/// A route's local first stage: a distilled intent classifier (written by <c>tandem classifier train</c>) that
/// answers a request itself when its confidence clears <see cref="Threshold"/>, and leaves it to the route's policy
/// (the LLM) otherwise. Local answers are recorded like any other, with deployment <c>local:NAME</c> and no cost.
/// </summary>
public sealed record LocalStageConfig
{
    /// <summary>The classifier file (a path, relative to the gateway's working directory), read at every (re)load.</summary>
    public string Classifier { get; set; } = "";

    /// <summary>The name in records and decisions (<c>local:NAME</c>); the file name without its extension when omitted.</summary>
    public string? Name { get; set; }

    /// <summary>Answer locally at or above this confidence (0–1); the threshold calibrated at training when omitted.</summary>
    public double? Threshold { get; set; }

    /// <summary>The answer's content: <c>label</c> (the label alone, the default) or <c>json</c> (<c>{"FIELD":"label"}</c>).</summary>
    public string Format { get; set; } = LocalAnswerFormats.Label;

    /// <summary>The JSON field of the <c>json</c> format (default <c>label</c>).</summary>
    public string Field { get; set; } = "label";

    /// <summary>
    /// Share (0–1) of the confident requests sent to the LLM anyway, with the classifier's label in the decision, so
    /// that its agreement with the LLM is measured on live traffic (<c>tandem labels sample --strategy disagreement</c>).
    /// </summary>
    public double Audit { get; set; }
}

/// <summary>Values of <see cref="LocalStageConfig.Format"/>.</summary>
public static class LocalAnswerFormats
{
    /// <summary>The content is the label.</summary>
    public const string Label = "label";

    /// <summary>The content is a JSON object with the label in one field.</summary>
    public const string Json = "json";
}
