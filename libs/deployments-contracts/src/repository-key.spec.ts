import { repositoryKey } from './model';

describe('repositoryKey', () => {
  it('given the https, ssh and scp forms of one repository, then one key', () => {
    const forms = [
      'https://github.com/Codertocat/Hello-World.git',
      'https://github.com/Codertocat/Hello-World',
      'https://github.com/codertocat/hello-world/',
      'git://github.com/Codertocat/Hello-World.git',
      'ssh://git@github.com/Codertocat/Hello-World.git',
      'ssh://git@github.com:22/Codertocat/Hello-World.git',
      'git@github.com:Codertocat/Hello-World.git',
    ];
    expect(new Set(forms.map(repositoryKey))).toEqual(new Set(['github.com/codertocat/hello-world']));
  });

  it('given a path on the server, then the path itself (file:// too), case kept', () => {
    expect(repositoryKey('/srv/git/App')).toBe('/srv/git/App');
    expect(repositoryKey('file:///srv/git/App/')).toBe('/srv/git/App');
    expect(repositoryKey('/srv/git/App')).not.toBe(repositoryKey('/srv/git/app'));
  });

  it('given other hosts or owners, then other keys', () => {
    expect(repositoryKey('https://gitlab.com/Codertocat/Hello-World.git')).not.toBe(repositoryKey('https://github.com/Codertocat/Hello-World.git'));
    expect(repositoryKey('https://github.com/other/Hello-World.git')).not.toBe(repositoryKey('https://github.com/Codertocat/Hello-World.git'));
  });
});
