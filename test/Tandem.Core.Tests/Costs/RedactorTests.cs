using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

public sealed class RedactorTests
{
    [Theory]
    [InlineData("write to jane.doe+news@mail.example.com today", "write to [email] today")]
    [InlineData("card 4111-1111-1111-1111 expires", "card [card] expires")]
    [InlineData("card 5500 0000 0000 0004.", "card [card].")]
    [InlineData("call +1 (415) 555-0132 now", "call [phone] now")]
    [InlineData("ssn 123-45-6789", "ssn [ssn]")]
    [InlineData("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [iban] please")]
    [InlineData("from 192.168.10.4", "from [ip]")]
    [InlineData("key sk-proj-abcdefghijklmnop1234", "key [secret]")]
    public void Redact_PersonalData_IsMasked(string input, string expected) => Assert.Equal(expected, Redactor.Redact(input));

    [Theory]
    [InlineData("order 1234567890123 is not a card (fails Luhn)")]
    [InlineData("I have 3 cats and 12 dogs")]
    [InlineData("version 2.0 released in 2024")]
    public void Redact_OrdinaryText_IsKept(string input) => Assert.Equal(input, Redactor.Redact(input));
}
