namespace Tandem.Tests.Common;

/// <summary>A fresh directory under the system temp folder, removed with its contents on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <param name="prefix">The start of the directory's name, to tell which test left it behind.</param>
    public TempDir(string prefix = "tandem-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>The full path of <paramref name="name"/> inside the directory (not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process a test started may still hold a file open; the OS cleans the temp folder.
        }
    }
}
