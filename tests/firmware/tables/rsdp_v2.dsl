/* ACPI 2.0+ RSDP: RSDT at 0x7000, XSDT at 0x7100 (the test's physical memory image). */
[0008]                          Signature : "RSD PTR "
[0001]                           Checksum : 00
[0006]                             Oem ID : "LOCKST"
[0001]                           Revision : 02
[0004]                       RSDT Address : 00007000
[0004]                             Length : 00000024
[0008]                       XSDT Address : 0000000000007100
[0001]                  Extended Checksum : 00
[0003]                           Reserved : 000000
