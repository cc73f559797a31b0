/* XSDT: an HPET table, then the MADT. */
[0004]                          Signature : "XSDT"
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "LOCKST"
[0008]                       Oem Table ID : "TESTXSDT"
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0008]             ACPI Table Address   0 : 0000000000009000
[0008]             ACPI Table Address   1 : 0000000000008000
