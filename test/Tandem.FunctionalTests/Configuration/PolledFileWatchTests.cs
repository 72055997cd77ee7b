using Tandem.Server.Configuration;
using Xunit;

namespace Tandem.FunctionalTests.Configuration;

/// <summary>The configuration file's watch: a change of its bytes is noticed, anything else is not.</summary>
public sealed class PolledFileWatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-watch-").FullName;
    private int _changes;

    private string Config => Path.Combine(_dir, "tandem.yaml");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EditedFile_IsNoticedOnce_AndAnUnchangedRewriteOrANeighboursWritesAreNot()
    {
        File.WriteAllText(Config, "routes: []\n");
        using var watch = new PolledFileWatch(Config, () => _changes++, TimeSpan.FromHours(1));

        watch.Poll();
        Assert.Equal(0, _changes);

        // The database beside the configuration writes all the time: not a change of the configuration.
        File.WriteAllText(Path.Combine(_dir, "tandem.db-wal"), "pages");
        watch.Poll();
        Assert.Equal(0, _changes);

        // Same bytes written again (an editor saving without a change): nothing to reload.
        File.WriteAllText(Config, "routes: []\n");
        watch.Poll();
        Assert.Equal(0, _changes);

        // Same length, different bytes: a change.
        File.WriteAllText(Config, "routes: {}\n");
        watch.Poll();
        Assert.Equal(1, _changes);
        watch.Poll();
        Assert.Equal(1, _changes);
    }

    [Fact]
    public void FileReplacedByRename_OrRemovedAndRestored_IsNoticedEachTime()
    {
        File.WriteAllText(Config, "a: 1\n");
        using var watch = new PolledFileWatch(Config, () => _changes++, TimeSpan.FromHours(1));

        var next = Path.Combine(_dir, "tandem.yaml.tmp");
        File.WriteAllText(next, "a: 2\n");
        File.Move(next, Config, overwrite: true);
        watch.Poll();
        Assert.Equal(1, _changes);

        File.Delete(Config);
        watch.Poll();
        Assert.Equal(2, _changes);

        File.WriteAllText(Config, "a: 2\n");
        watch.Poll();
        Assert.Equal(3, _changes);
    }

    [Fact]
    public void LargeFile_ComparedByLengthAndWriteTime()
    {
        // A model file of 2 MiB is not read four times a second: a new write time or length is its change.
        var model = Path.Combine(_dir, "router.bin");
        File.WriteAllBytes(model, new byte[2 * 1024 * 1024]);
        File.SetLastWriteTimeUtc(model, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        using var watch = new PolledFileWatch(model, () => _changes++, TimeSpan.FromHours(1));

        watch.Poll();
        Assert.Equal(0, _changes);

        File.SetLastWriteTimeUtc(model, new DateTime(2026, 1, 1, 0, 0, 1, DateTimeKind.Utc));
        watch.Poll();
        Assert.Equal(1, _changes);

        using (var stream = new FileStream(model, FileMode.Append))
        {
            stream.WriteByte(1);
        }

        File.SetLastWriteTimeUtc(model, new DateTime(2026, 1, 1, 0, 0, 1, DateTimeKind.Utc));
        watch.Poll();
        Assert.Equal(2, _changes);
    }

    [Fact]
    public async Task Timer_PollsOnItsOwn()
    {
        File.WriteAllText(Config, "a: 1\n");
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = new PolledFileWatch(Config, () => changed.TrySetResult(), TimeSpan.FromMilliseconds(20));

        File.WriteAllText(Config, "a: 2\n");
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }
}
