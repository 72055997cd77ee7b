using System.Text;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

public sealed class SecretScrubberTests
{
    [Fact]
    public void Scrub_ReplacesEveryOccurrenceOfEverySecret()
    {
        var scrubber = new SecretScrubber(["sk-live-0123456789", "token-abcdefgh", null, "short"]);

        Assert.Equal("key [redacted] and [redacted]; again [redacted]; short stays",
            scrubber.Scrub("key sk-live-0123456789 and token-abcdefgh; again sk-live-0123456789; short stays"));
        Assert.Equal("{\"error\":\"bad key [redacted]\"}",
            Encoding.UTF8.GetString(scrubber.Scrub(Encoding.UTF8.GetBytes("{\"error\":\"bad key token-abcdefgh\"}"))));
    }

    [Fact]
    public void Scrub_WithoutSecrets_ReturnsTheSameArray()
    {
        var scrubber = new SecretScrubber(["sk-live-0123456789"]);
        var bytes = "nothing here"u8.ToArray();

        Assert.Same(bytes, scrubber.Scrub(bytes));
        Assert.True(SecretScrubber.None.IsEmpty);
        Assert.False(scrubber.IsEmpty);
    }

    [Fact]
    public void Scrub_LongerSecretFirst_WhenOneContainsAnother()
    {
        var scrubber = new SecretScrubber(["abcdefgh", "abcdefgh-ijkl"]);

        Assert.Equal("[redacted] [redacted]", scrubber.Scrub("abcdefgh-ijkl abcdefgh"));
    }
}
