using System.Net;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("7", 7.0)]
    [InlineData("0", 0.0)]
    [InlineData(" 12 ", 12.0)]
    [InlineData("1.5", 1.5)]
    [InlineData("Wed, 02 Dec 2026 10:00:30 GMT", 30.0)]
    [InlineData("Wed, 02 Dec 2026 09:59:00 GMT", 0.0)]
    public void Parse_DeltaSecondsOrHttpDate(string value, double expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetryAfter.Parse(value, Now));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-3")]
    public void Parse_Unreadable_IsNull(string? value) => Assert.Null(RetryAfter.Parse(value, Now));

    [Fact]
    public void Read_PrefersRetryAfterMs()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("retry-after-ms", "1250");
        response.Headers.TryAddWithoutValidation("Retry-After", "9");

        Assert.Equal(TimeSpan.FromMilliseconds(1250), RetryAfter.Read(response.Headers, Now));
    }

    [Fact]
    public void Read_HttpDateIsRelativeToTheGivenClock()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.TryAddWithoutValidation("Retry-After", "Wed, 02 Dec 2026 10:02:00 GMT");

        Assert.Equal(TimeSpan.FromMinutes(2), RetryAfter.Read(response.Headers, Now));
        Assert.Null(RetryAfter.Read(new HttpResponseMessage().Headers, Now));
    }
}
