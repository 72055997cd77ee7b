namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>Paths of recorded provider traffic in ../shared/wire-samples (not copied into this repository).</summary>
internal static class WireSamples
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "wire-samples");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }

                candidate = Path.Combine(dir.FullName, "..", "shared", "wire-samples");
                if (Directory.Exists(candidate))
                {
                    return Path.GetFullPath(candidate);
                }

                dir = dir.Parent;
            }

            throw new DirectoryNotFoundException("../shared/wire-samples not found beside the repository");
        }
    }

    /// <summary>A gpt-4o-2024-08-06 stream with a final usage chunk (test_parse_pydantic_model_refusal).</summary>
    public static string OpenAiPythonStream => Path.Combine(Root, "openai", "openai-python-inline-snapshots", "external",
        "173417d553406f034f643e5db3f8d591fb691ebac56f5ae39a22cc7d455c5353.bin");
}
