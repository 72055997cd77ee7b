namespace Tandem.Tests.Common;

/// <summary>
/// The fixtures committed under <c>test/TestData</c> (each folder with its licence and attribution). Found by walking up
/// from the test assembly to the repository root, the first folder holding <c>Tandem.slnx</c>, and never beyond it: a
/// test never reads anything outside the repository.
/// </summary>
public static class TestData
{
    /// <summary>The file that marks the repository root.</summary>
    public const string RootMarker = "Tandem.slnx";

    private static readonly Lazy<string> LazyRoot = new(() => Locate(AppContext.BaseDirectory));

    /// <summary>The full path of <c>test/TestData</c>.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>
    /// A datasets directory in the layout the importers expect (<c>clinc150/data_full.json</c>,
    /// <c>banking77/{test,train}.csv</c>), holding small stratified samples rather than the full datasets.
    /// </summary>
    public static string Datasets => Root;

    /// <summary>The CLINC150 sample (CC BY 3.0): 40 intents, 400 test rows, in <c>data_full.json</c>'s format.</summary>
    public static string Clinc150 => Path.Combine(Root, "clinc150", "data_full.json");

    /// <summary>
    /// A recorded gpt-4o stream with refusal deltas and a usage chunk (openai-python
    /// <c>test_parse_pydantic_model_refusal</c>, Apache-2.0): 3,486 bytes, 14 events.
    /// </summary>
    public static string OpenAiRefusalStream => OpenAiRecording("173417d553406f034f643e5db3f8d591fb691ebac56f5ae39a22cc7d455c5353");

    /// <summary>
    /// A recorded gpt-4o stream cut by <c>max_tokens=1</c> (<c>finish_reason=length</c>) with a usage chunk
    /// (openai-python <c>test_parse_max_tokens_reached</c>, Apache-2.0): 1,124 bytes, 5 events.
    /// </summary>
    public static string OpenAiMaxTokensStream => OpenAiRecording("4cc50a6135d254573a502310e6af1246f55edb6ad95fa24059f160996b68866d");

    /// <summary>
    /// Walks up from <paramref name="start"/> to the first folder holding <see cref="RootMarker"/> and returns its
    /// <c>test/TestData</c>; throws when there is no such folder or the repository found has no test data.
    /// </summary>
    public static string Locate(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, RootMarker)))
            {
                var data = Path.Combine(dir.FullName, "test", "TestData");
                return Directory.Exists(data)
                    ? data
                    : throw new DirectoryNotFoundException($"the repository at {dir.FullName} has no test/TestData folder");
            }
        }

        throw new DirectoryNotFoundException(
            $"no {RootMarker} above {start}: tests find test/TestData from an assembly built inside the repository");
    }

    private static string OpenAiRecording(string sha256) => Path.Combine(Root, "openai-python", sha256 + ".bin");
}
