/* RSDT: an HPET table, then the MADT. */
[0004]                          Signature : "RSDT"
[0004]                       Table Length : 00000000
[0001]                           Revision : 01
[0001]                           Checksum : 00
[0006]                             Oem ID : "LOCKST"
[0008]                       Oem Table ID : "TESTRSDT"
[0004]                       Oem Revision : 00000001
[0004]                    Asl Compiler ID : "INTL"
[0004]              Asl Compiler Revision : 20200925

[0004]             ACPI Table Address   0 : 00009000
[0004]             ACPI Table Address   1 : 00008000
