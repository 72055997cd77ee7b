namespace Tandem.Eval.Tests.Infrastructure;

/// <summary>Locates ../shared beside the repository (datasets are not copied into it).</summary>
internal static class SharedData
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared");
                if (Directory.Exists(Path.Combine(candidate, "datasets")))
                {
                    return Path.GetFullPath(candidate);
                }
            }

            throw new DirectoryNotFoundException("../shared not found beside the repository");
        }
    }

    public static string Datasets => Path.Combine(Root, "datasets");
}
