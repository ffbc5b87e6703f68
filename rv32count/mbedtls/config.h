/* mbedTLS configuration of the RV32 baseline: only what the device side of security 1 and 2
 * needs (bignum, SHA-256/512, AES-CTR/GCM, X25519). Everything else is the library's default,
 * including MBEDTLS_MPI_WINDOW_SIZE (3 in mbedTLS 3.6). There is no RISC-V assembly in
 * mbedTLS's bn_mul.h, so its bignum runs its portable C, as ESP-IDF's does on an ESP32-C2. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_AES_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CTR
#define MBEDTLS_GCM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
