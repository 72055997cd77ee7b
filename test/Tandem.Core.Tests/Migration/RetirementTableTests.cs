using Tandem.Migration;
using Xunit;

namespace Tandem.Core.Tests.Migration;

/// <summary>The shipped retirement data (issue 18, item 15a).</summary>
public sealed class RetirementTableTests
{
    [Theory]
    [InlineData("gpt-4o-2024-05-13")]
    [InlineData("gpt-4o-2024-08-06")]
    [InlineData("gpt-4o-2024-11-20")]
    [InlineData("gpt-4o-mini-2024-07-18")]
    [InlineData("gpt-4.1-2025-04-14")]
    [InlineData("gpt-4.1-mini-2025-04-14")]
    public void For_SnapshotsOfTheOctoberNotice_RetireOnJanuary14(string model)
    {
        var retirement = RetirementTable.For(model, null);
        Assert.Equal(new Retirement(model, new DateOnly(2027, 1, 14), "OpenAI deprecations page, notice of 2026-10-14"), retirement);
    }

    [Fact]
    public void Entries_CiteTheirSourceAndNothingElse()
    {
        Assert.Equal(6, RetirementTable.Entries.Count);
        Assert.All(RetirementTable.Entries, e => Assert.Equal("OpenAI deprecations page, notice of 2026-10-14", e.Source));
        Assert.Equal("2026-12-02", RetirementTable.AsOf);
    }

    [Fact]
    public void For_ConfiguredDateOrUnknownModel()
    {
        Assert.Equal(new Retirement("gpt-4o-2024-08-06", new DateOnly(2027, 3, 1), "configuration"), RetirementTable.For("gpt-4o-2024-08-06", "2027-03-01"));
        Assert.Null(RetirementTable.For("gpt-4o", null)); // an alias, not a snapshot: its retirement is the provider's to move
        Assert.Null(RetirementTable.For("llama-3.1-8b-instruct", null));
    }
}
