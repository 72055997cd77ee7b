using Tandem.Classification;
using Tandem.Routing.Learned;

namespace Tandem.Eval.Classification;

/// <summary>
/// Any kind of distilled intent classifier (n-gram, encoder, ensemble) as the labelling workflow uses it: a prediction
/// for a request's text and the message inside the route's template.
/// </summary>
/// <param name="Version">The model's version (<c>ic-…</c>, <c>ie-…</c>, <c>ix-…</c>).</param>
/// <param name="Predict">The label and its confidence for a request's text (template included or not).</param>
/// <param name="Message">The message inside the template the model learnt (the text unchanged without it).</param>
public sealed record IntentScorer(string Version, Func<string, IntentPrediction> Predict, Func<string, string> Message)
{
    /// <summary>
    /// Reads a model file of the kind its header declares. <paramref name="encoder"/> is asked for only when the model
    /// reads embeddings, and must be the encoder it was trained with.
    /// </summary>
    public static IntentScorer Open(string path, Func<ISentenceEncoder> encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (IntentEnsembleFile.IsEnsembleModel(path))
        {
            var ensemble = IntentEnsembleFile.Load(path);
            var forEnsemble = Matching(encoder(), ensemble.Encoder.Encoder, path);
            return new IntentScorer(ensemble.Version, text => ensemble.Predict(text, forEnsemble), ensemble.Encoder.Message);
        }

        if (EncoderIntentModelFile.IsEncoderModel(path))
        {
            var model = EncoderIntentModelFile.Load(path);
            var forModel = Matching(encoder(), model.Encoder, path);
            return new IntentScorer(model.Version, text => model.Predict(text, forModel), model.Message);
        }

        var ngram = IntentModelFile.Load(path);
        return new IntentScorer(ngram.Version, text => ngram.Predict(text), text => ngram.Message(text).ToString());
    }

    private static ISentenceEncoder Matching(ISentenceEncoder encoder, string name, string path) =>
        string.Equals(encoder.Name, name, StringComparison.Ordinal)
            ? encoder
            : throw new InvalidDataException($"'{path}' reads {name} embeddings; this Tandem has {encoder.Name}");
}
