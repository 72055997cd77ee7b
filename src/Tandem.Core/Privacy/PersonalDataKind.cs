namespace Tandem.Privacy;

/// <summary>
/// A class of personal data, such as e-mail addresses or card numbers. The name is what routing rules list under
/// <c>pii</c> and what <c>capture: redacted</c> writes in place of a match (<c>[email]</c>). The built-in kinds are
/// the static properties; a route's custom patterns add kinds of their own names.
/// </summary>
public readonly struct PersonalDataKind : IEquatable<PersonalDataKind>
{
    private readonly string? _name;

    /// <summary>Creates a kind with the given name.</summary>
    /// <param name="name">The name, e.g. <c>employee_id</c>; not empty.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    public PersonalDataKind(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
    }

    /// <summary>The name (compared ordinally).</summary>
    public string Name => _name ?? "";

    /// <summary>E-mail addresses.</summary>
    public static PersonalDataKind Email { get; } = new("email");

    /// <summary>API keys and tokens with a recognisable prefix (<c>sk-</c>, <c>ghp_</c>, <c>xoxb-</c>, <c>AKIA</c>…).</summary>
    public static PersonalDataKind Secret { get; } = new("secret");

    /// <summary>International bank account numbers, checked by length per country and mod 97 (ISO 13616).</summary>
    public static PersonalDataKind Iban { get; } = new("iban");

    /// <summary>Payment card numbers of 13 to 19 digits that pass the Luhn check.</summary>
    public static PersonalDataKind Card { get; } = new("card");

    /// <summary>US social security numbers written <c>AAA-GG-SSSS</c>, within the ranges ever issued.</summary>
    public static PersonalDataKind Ssn { get; } = new("ssn");

    /// <summary>IPv4 addresses in dotted-decimal form.</summary>
    public static PersonalDataKind Ip { get; } = new("ip");

    /// <summary>Phone numbers: international (<c>+</c>), formatted national, or a bare run of 10–11 digits.</summary>
    public static PersonalDataKind Phone { get; } = new("phone");

    /// <summary>
    /// The built-in kinds in the order they claim text: where two overlap (a social security number also reads as a
    /// phone number), the earlier one wins. A route's custom kinds come before all of them.
    /// </summary>
    public static IReadOnlyList<PersonalDataKind> BuiltIn { get; } = [Email, Secret, Iban, Card, Ssn, Ip, Phone];

    /// <summary>Whether <paramref name="name"/> is a built-in kind.</summary>
    public static bool IsBuiltIn(string name)
    {
        foreach (var k in BuiltIn)
        {
            if (string.Equals(k.Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Compares two kinds by name.</summary>
    public static bool operator ==(PersonalDataKind left, PersonalDataKind right) => left.Equals(right);

    /// <summary>Compares two kinds by name.</summary>
    public static bool operator !=(PersonalDataKind left, PersonalDataKind right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(PersonalDataKind other) => string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PersonalDataKind other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    /// <summary>The name.</summary>
    public override string ToString() => Name;
}
