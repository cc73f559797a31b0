/* ACPI 1.0 RSDP (revision 0): RSDT only, at 0x7000. */
[0008]                          Signature : "RSD PTR "
[0001]                           Checksum : 00
[0006]                             Oem ID : "LOCKST"
[0001]                           Revision : 00
[0004]                       RSDT Address : 00007000
