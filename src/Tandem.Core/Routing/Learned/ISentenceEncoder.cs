namespace Tandem.Routing.Learned;

/// <summary>
/// A sentence encoder: text to a fixed-length, L2-normalised embedding. The encoder router
/// (<see cref="EncoderRouterModel"/>) scores embeddings; the encoder itself comes from the host (Tandem.Routing.Encoder
/// runs all-MiniLM-L6-v2 with ONNX Runtime), so a model file holds only the head.
/// </summary>
public interface ISentenceEncoder
{
    /// <summary>The encoder's name as model files record it, e.g. <c>all-MiniLM-L6-v2</c>.</summary>
    string Name { get; }

    /// <summary>The embedding's length.</summary>
    int Dimensions { get; }

    /// <summary>Writes the embedding of <paramref name="text"/> to <paramref name="embedding"/> (length <see cref="Dimensions"/>).</summary>
    void Encode(string text, Span<float> embedding);
}
