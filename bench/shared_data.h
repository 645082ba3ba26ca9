/* The classic writer/reader struct: 108 bytes (counter 0x00, message 0x04, ready 0x68). */
#include <stdbool.h>
#include <stdint.h>

struct SharedData {
    int32_t counter;
    char message[100];
    bool ready;
};
