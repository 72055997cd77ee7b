using System.Globalization;
using System.Text;
using System.Text.Json;
using Tandem.Classification;
using Tandem.Configuration;
using Tandem.Routing.Learned;
using Tandem.Runtime;
using Tandem.Wire;

namespace Tandem.Routing;

/// <summary>What the local stage decided for a request.</summary>
/// <param name="Answered">Whether the classifier answers (confident, and not drawn for the audit).</param>
/// <param name="Prediction">The classifier's label and confidence.</param>
/// <param name="Reason">The decision text: <c>local NAME: LABEL (p 0.97 ≥ 0.90, ic-…)</c>, or why the LLM answers.</param>
public readonly record struct LocalDecision(bool Answered, IntentPrediction Prediction, string Reason);

/// <summary>
/// A route's compiled local first stage (<see cref="LocalStageConfig"/>): the classifier, read once per configuration
/// snapshot, and the threshold. It reads the last user message of a chat request, so the classifier sees what it was
/// trained on (its template is stripped by the classifier itself).
/// </summary>
public sealed class LocalStage
{
    /// <summary>The prefix of the deployment name recorded for local answers.</summary>
    public const string DeploymentPrefix = "local:";

    private readonly RandomSource _random;
    private readonly Func<string, IntentPrediction> _predict;

    internal LocalStage(LocalStageConfig config, IntentClassifier classifier, RandomSource random)
        : this(config, classifier.Version, classifier.Calibration, text => classifier.Predict(text), random)
    {
        Classifier = classifier;
    }

    private LocalStage(LocalStageConfig config, string version, IntentCalibration calibration, Func<string, IntentPrediction> predict, RandomSource random)
    {
        Config = config;
        ModelVersion = version;
        _predict = predict;
        _random = random;
        Name = config.Name ?? Path.GetFileNameWithoutExtension(config.Classifier);
        Deployment = DeploymentPrefix + Name;
        Threshold = config.Threshold ?? calibration.Threshold;
    }

    /// <summary>The stage's configuration.</summary>
    public LocalStageConfig Config { get; }

    /// <summary>The n-gram classifier, or null when the model file is of the encoder or ensemble kind (<see cref="EncoderIntentModelFile"/>, <see cref="IntentEnsembleFile"/>).</summary>
    public IntentClassifier? Classifier { get; }

    /// <summary>The model's version (<c>ic-…</c> for the n-gram kind, <c>ie-…</c> for the encoder kind, <c>ix-…</c> for the ensemble).</summary>
    public string ModelVersion { get; }

    /// <summary>The name in decisions.</summary>
    public string Name { get; }

    /// <summary>The deployment name of local answers in records: <c>local:NAME</c>.</summary>
    public string Deployment { get; }

    /// <summary>The confidence at or above which the classifier answers.</summary>
    public double Threshold { get; }

    /// <summary>
    /// Reads the classifier for a route, of the kind its file declares; an encoder model needs its encoder from
    /// <paramref name="encoders"/>. A file changed or removed since validation is a configuration error.
    /// </summary>
    internal static LocalStage? For(RouteConfig route, RandomSource random, Func<string, ISentenceEncoder?>? encoders = null)
    {
        if (route.Local is not { } config)
        {
            return null;
        }

        try
        {
            if (IntentEnsembleFile.IsEnsembleModel(config.Classifier))
            {
                var ensemble = IntentEnsembleFile.Load(config.Classifier);
                var forEnsemble = EncoderFor(route, ensemble.Encoder.Encoder, encoders);
                return new LocalStage(config, ensemble.Version, ensemble.Calibration, text => ensemble.Predict(text, forEnsemble), random);
            }

            if (!EncoderIntentModelFile.IsEncoderModel(config.Classifier))
            {
                return new LocalStage(config, IntentModelFile.Load(config.Classifier), random);
            }

            var model = EncoderIntentModelFile.Load(config.Classifier);
            var encoder = EncoderFor(route, model.Encoder, encoders);
            return new LocalStage(config, model.Version, model.Calibration, text => model.Predict(text, encoder), random);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ConfigException([$"route '{route.Name}': local.classifier: cannot read the classifier: {e.Message}"]);
        }
    }

    private static ISentenceEncoder EncoderFor(RouteConfig route, string name, Func<string, ISentenceEncoder?>? encoders) =>
        encoders?.Invoke(name)
        ?? throw new ConfigException([$"route '{route.Name}': local.classifier: the classifier reads {name} embeddings, and this gateway has no such encoder"]);

    /// <summary>Whether the stage can answer a request of this shape at all (a chat completion without tools).</summary>
    public static bool AppliesTo(ApiOperation operation, ApiRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return operation == ApiOperation.ChatCompletions && !request.HasTools;
    }

    /// <summary>Classifies the request's last user message and decides who answers.</summary>
    public LocalDecision Decide(ReadOnlySpan<byte> body)
    {
        var text = LastUserText(body);
        if (text is null)
        {
            return new LocalDecision(false, default, $"local {Name}: no user message");
        }

        var p = _predict(text);
        var c = CultureInfo.InvariantCulture;
        var scored = $"{p.Label} (p {p.Confidence.ToString("0.000", c)}, threshold {Threshold.ToString("0.000", c)}, {ModelVersion})";
        if (p.Confidence < Threshold)
        {
            return new LocalDecision(false, p, $"local {Name} unsure: {scored}; ");
        }

        if (Config.Audit > 0 && _random.NextDouble() < Config.Audit)
        {
            return new LocalDecision(false, p, $"local {Name} audit: {scored}; ");
        }

        return new LocalDecision(true, p, $"local {Name}: {scored}");
    }

    /// <summary>The answer's content in the configured format.</summary>
    public string Content(string label) => Config.Format == LocalAnswerFormats.Json
        ? "{" + JsonSerializer.Serialize(Config.Field, LocalJsonContext.Default.String) + ":" + JsonSerializer.Serialize(label, LocalJsonContext.Default.String) + "}"
        : label;

    /// <summary>
    /// The text of the last <c>user</c> message of a chat request (a string, or its text parts joined by newlines),
    /// or null. One pass of a <see cref="Utf8JsonReader"/>; allocates only the text.
    /// </summary>
    public static string? LastUserText(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        string? last = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMessages = reader.ValueTextEquals("messages"u8);
                reader.Read();
                if (!isMessages || reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    if (ReadMessage(ref reader) is { } user)
                    {
                        last = user;
                    }
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return last;
    }

    /// <summary>Reads one message object (the reader on its start); returns its text when its role is user.</summary>
    private static string? ReadMessage(ref Utf8JsonReader reader)
    {
        var isUser = false;
        string? text = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                isUser = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("user"u8);
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                text = reader.TokenType switch
                {
                    JsonTokenType.String => reader.GetString(),
                    JsonTokenType.StartArray => ReadParts(ref reader),
                    _ => Skip(ref reader),
                };
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return isUser ? text : null;
    }

    private static string? ReadParts(ref Utf8JsonReader reader)
    {
        var sb = new StringBuilder();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isText = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (isText && reader.TokenType == JsonTokenType.String)
                {
                    sb.Append(sb.Length > 0 ? "\n" : "").Append(reader.GetString());
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return sb.ToString();
    }

    private static string? Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class LocalJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
