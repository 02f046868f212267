/*
 * OpenPassMarket benchmark driver for Lua 5.4 (not part of Lua).
 *
 * usage: driver SCRIPT.lua
 *
 * Creates a Lua state with the standard libraries, registers one C function for the
 * script (`fnv1a(s)`: the 32-bit FNV-1a hash of a string, so the script can checksum
 * what it computed without printing it all), sets the global `arg` table like the `lua`
 * interpreter does (arg[0] = script path), runs SCRIPT, then calls the global function
 * `summary` that the script defines and prints the values it returns. Errors are printed
 * on stdout and make the driver exit with status 1.
 */
#include <stdio.h>
#include <stdint.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int l_fnv1a(lua_State *L) {
    size_t len, i;
    const char *s = luaL_checklstring(L, 1, &len);
    uint32_t h = 2166136261u;
    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    lua_pushinteger(L, (lua_Integer)h);
    return 1;
}

static int report(lua_State *L, int status) {
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        printf("error: %s\n", msg ? msg : "(error object is not a string)");
        lua_pop(L, 1);
    }
    return status;
}

int main(int argc, char **argv) {
    lua_State *L;
    int status, n, i;
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRIPT.lua\n", argv[0]);
        return 2;
    }
    L = luaL_newstate();
    if (L == NULL) {
        printf("error: cannot create state\n");
        return 1;
    }
    luaL_openlibs(L);
    lua_register(L, "fnv1a", l_fnv1a);
    lua_createtable(L, 1, 1);
    lua_pushstring(L, argv[0]);
    lua_rawseti(L, -2, -1);
    lua_pushstring(L, argv[1]);
    lua_rawseti(L, -2, 0);
    lua_setglobal(L, "arg");

    status = report(L, luaL_dofile(L, argv[1]));
    if (status == LUA_OK) {
        int base = lua_gettop(L);
        lua_getglobal(L, "summary");
        status = report(L, lua_pcall(L, 0, LUA_MULTRET, 0));
        if (status == LUA_OK) {
            n = lua_gettop(L) - base;
            printf("summary:");
            for (i = 1; i <= n; i++) printf(" %s", luaL_tolstring(L, base + i, NULL)), lua_pop(L, 1);
            printf("\n");
        }
    }
    printf("lua: %s status=%d\n", LUA_RELEASE, status);
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
